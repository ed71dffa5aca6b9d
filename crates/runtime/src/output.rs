//! The guest's text on its way to the job's log: stdout, stderr and `host.log` messages.
//!
//! Both output streams feed one ordered, bounded line buffer: writes never fail (a chatty
//! connector is not killed by a full pipe), lines reach the [`JobObserver`] as they complete and
//! in the order they were written, and past the byte budget the rest is dropped and counted. All
//! guest text is escaped to one visible line ([`escape`]): it cannot move the cursor, colour the
//! terminal or start a line that passes for the host's own `error:`.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

use super::state::{JobObserver, LogLine, LogSource};
use super::LogLevel;

/// Bytes of guest stdout and stderr (together) forwarded to the log per job.
pub const OUTPUT_BUDGET: usize = 1 << 20;
/// The longest line kept; a longer one is forwarded in pieces of this size.
pub const MAX_LINE: usize = 16 << 10;
/// Lines of stderr remembered to explain a trap (a Rust panic prints its message there).
const STDERR_TAIL: usize = 16;

/// Makes guest text safe for a terminal, on one line: control characters (ESC, CR, LF, TAB, DEL,
/// C1 controls) and invisible direction overrides become visible escapes such as `\x1b`, `\n`,
/// `\u{202e}`. Everything else passes unchanged.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            // C1 controls (e.g. U+009B, a one-character CSI) and bidi/format characters that
            // reorder what the terminal shows.
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The job's log sink, shared by the output streams (inside WASI) and the host imports.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    observer: Box<dyn JobObserver>,
    /// The unfinished line of stdout and of stderr.
    partial: [Vec<u8>; 2],
    budget_left: usize,
    dropped: u64,
    stderr_tail: std::collections::VecDeque<String>,
}

impl Console {
    pub fn new(observer: Box<dyn JobObserver>) -> Self {
        Console {
            inner: Arc::new(Mutex::new(Inner {
                observer,
                partial: [Vec::new(), Vec::new()],
                budget_left: OUTPUT_BUDGET,
                dropped: 0,
                stderr_tail: Default::default(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves text half-forwarded, nothing worse.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A `host.log` message: escaped, on one line.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.lock().observer.log(&LogLine { level, source: LogSource::Connector, message: escape(message) });
    }

    /// A line from the host itself (not escaped).
    pub fn host_note(&self, level: LogLevel, message: String) {
        self.lock().observer.log(&LogLine { level, source: LogSource::Host, message });
    }

    pub fn progress(&self, phase: &str, done: u64, total: Option<u64>) {
        self.lock().observer.progress(phase, done, total);
    }

    /// The stream guest stdout (`is_err` false) or stderr writes into.
    pub fn stream(&self, is_err: bool) -> GuestStream {
        GuestStream { console: self.clone(), is_err }
    }

    /// Bytes the guest wrote: complete lines go to the log now, in order.
    fn write(&self, is_err: bool, mut bytes: &[u8]) {
        let mut inner = self.lock();
        if bytes.len() > inner.budget_left {
            inner.dropped += (bytes.len() - inner.budget_left) as u64;
            bytes = &bytes[..inner.budget_left];
        }
        inner.budget_left -= bytes.len();
        let stream = usize::from(is_err);
        for &b in bytes {
            if b == b'\n' {
                inner.emit(is_err);
            } else {
                inner.partial[stream].push(b);
                if inner.partial[stream].len() >= MAX_LINE {
                    inner.emit(is_err);
                }
            }
        }
    }

    /// Forwards unfinished lines and, once, how much was dropped; at the end of a job.
    pub fn finish(&self) {
        let mut inner = self.lock();
        for is_err in [false, true] {
            if !inner.partial[usize::from(is_err)].is_empty() {
                inner.emit(is_err);
            }
        }
        if inner.dropped > 0 {
            let message = format!(
                "{} bytes of guest output dropped: over the budget of {} MiB per job",
                inner.dropped,
                OUTPUT_BUDGET >> 20
            );
            inner.dropped = 0;
            inner.observer.log(&LogLine { level: LogLevel::Warn, source: LogSource::Host, message });
        }
    }

    /// The last lines the guest wrote to stderr (escaped), oldest first.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.lock().stderr_tail.iter().cloned().collect()
    }
}

impl Inner {
    fn emit(&mut self, is_err: bool) {
        let bytes = std::mem::take(&mut self.partial[usize::from(is_err)]);
        let text = String::from_utf8_lossy(&bytes);
        let message = escape(text.strip_suffix('\r').unwrap_or(&text));
        let (level, source) =
            if is_err { (LogLevel::Warn, LogSource::Stderr) } else { (LogLevel::Info, LogSource::Stdout) };
        if is_err {
            if self.stderr_tail.len() == STDERR_TAIL {
                self.stderr_tail.pop_front();
            }
            self.stderr_tail.push_back(message.clone());
        }
        self.observer.log(&LogLine { level, source, message });
    }
}

/// Guest stdout or stderr: always accepts everything.
pub struct GuestStream {
    console: Console,
    is_err: bool,
}

impl IsTerminal for GuestStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(GuestStream { console: self.console.clone(), is_err: self.is_err })
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(GuestStream { console: self.console.clone(), is_err: self.is_err })
    }
}

#[async_trait::async_trait]
impl Pollable for GuestStream {
    async fn ready(&mut self) {}
}

impl OutputStream for GuestStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.console.write(self.is_err, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Never full: what is over the budget is dropped and counted, not refused.
        Ok(64 << 10)
    }
}

impl tokio::io::AsyncWrite for GuestStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.console.write(self.is_err, buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_control_characters_visible_on_one_line() {
        assert_eq!(escape("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(escape("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(escape("ok\nerror: fake"), "ok\\nerror: fake");
        assert_eq!(escape("over\rwrite\ttab\x7f\0"), "over\\rwrite\\ttab\\x7f\\x00");
        assert_eq!(escape("\u{9b}31m \u{202e}evil"), "\\u{9b}31m \\u{202e}evil");
    }

    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<LogLine>>>);

    impl JobObserver for Recorder {
        fn log(&mut self, line: &LogLine) {
            self.0.lock().unwrap().push(line.clone());
        }
        fn progress(&mut self, _: &str, _: u64, _: Option<u64>) {}
    }

    fn messages(r: &Recorder) -> Vec<(LogSource, String)> {
        r.0.lock().unwrap().iter().map(|l| (l.source, l.message.clone())).collect()
    }

    #[test]
    fn both_streams_feed_one_ordered_log_as_lines_complete() {
        let recorder = Recorder::default();
        let console = Console::new(Box::new(recorder.clone()));
        let (mut out, mut err) = (console.stream(false), console.stream(true));
        out.write(Bytes::from_static(b"out 1\nout ")).unwrap();
        assert_eq!(messages(&recorder), [(LogSource::Stdout, "out 1".to_owned())], "complete lines only");
        err.write(Bytes::from_static(b"err 1\n\x1b[2Jerror: fake\n")).unwrap();
        out.write(Bytes::from_static(b"2\n")).unwrap();
        console.log(LogLevel::Info, "two\nlines");
        err.write(Bytes::from_static(b"no newline")).unwrap();
        console.finish();
        assert_eq!(
            messages(&recorder),
            [
                (LogSource::Stdout, "out 1".to_owned()),
                (LogSource::Stderr, "err 1".to_owned()),
                (LogSource::Stderr, "\\x1b[2Jerror: fake".to_owned()),
                (LogSource::Stdout, "out 2".to_owned()),
                (LogSource::Connector, "two\\nlines".to_owned()),
                (LogSource::Stderr, "no newline".to_owned()),
            ]
        );
        assert_eq!(console.stderr_tail().last().map(String::as_str), Some("no newline"));
    }

    #[test]
    fn past_the_budget_writes_succeed_and_one_note_counts_what_was_dropped() {
        let recorder = Recorder::default();
        let console = Console::new(Box::new(recorder.clone()));
        let mut out = console.stream(false);
        let line = format!("{}\n", "x".repeat(1023));
        for _ in 0..3 * 1024 {
            out.write(Bytes::from(line.clone())).unwrap();
            assert!(out.check_write().unwrap() > 0);
        }
        console.finish();
        let all = messages(&recorder);
        assert_eq!(all.iter().filter(|(s, _)| *s == LogSource::Stdout).count(), 1024);
        let notes: Vec<&String> = all.iter().filter(|(s, _)| *s == LogSource::Host).map(|(_, m)| m).collect();
        assert_eq!(notes, [&format!("{} bytes of guest output dropped: over the budget of 1 MiB per job", 2 << 20)]);
    }

    #[test]
    fn a_line_without_end_is_cut_at_the_line_limit() {
        let recorder = Recorder::default();
        let console = Console::new(Box::new(recorder.clone()));
        console.stream(false).write(Bytes::from(vec![b'a'; MAX_LINE * 2 + 5])).unwrap();
        console.finish();
        let lengths: Vec<usize> = messages(&recorder).iter().map(|(_, m)| m.len()).collect();
        assert_eq!(lengths, [MAX_LINE, MAX_LINE, 5]);
    }
}
