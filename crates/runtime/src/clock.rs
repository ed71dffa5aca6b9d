//! `wasi:clocks/monotonic-clock` with every timer clamped to the job's deadline.
//!
//! Epoch interruption stops guest code, not a guest blocked in the host: a `sleep(45 s)` is a
//! `subscribe-duration` and a `poll`, which would outlive a 3 s deadline. Each pollable the guest
//! creates from this clock wakes at the latest just after the deadline; back in guest code, the
//! epoch callback sees the deadline passed and traps. The other clock functions are wasmtime's.

use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Resource};
use wasmtime_wasi::clocks::WasiClocksCtxView;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::{self, Host};
use wasmtime_wasi::p2::DynPollable;

/// How long after the deadline a clamped timer fires: past it, so the epoch check that follows
/// sees the deadline reached, whatever the rounding of the two clocks.
const OVERSHOOT: Duration = Duration::from_millis(20);

/// Marks the linker's `monotonic-clock` as the deadline-clamped one.
pub struct DeadlineClock;

impl HasData for DeadlineClock {
    type Data<'a> = DeadlineClockView<'a>;
}

/// wasmtime's clock view plus the job's deadline.
pub struct DeadlineClockView<'a> {
    pub inner: WasiClocksCtxView<'a>,
    pub deadline: Instant,
}

impl DeadlineClockView<'_> {
    /// `requested` nanoseconds from now, but not past the deadline (plus the overshoot).
    fn clamp(&self, requested: u64) -> u64 {
        let left = self.deadline.saturating_duration_since(Instant::now()) + OVERSHOOT;
        requested.min(u64::try_from(left.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl Host for DeadlineClockView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        self.inner.now()
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        self.inner.resolution()
    }

    fn subscribe_instant(&mut self, when: monotonic_clock::Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let now = self.inner.now()?;
        let wait = self.clamp(when.saturating_sub(now));
        self.inner.subscribe_duration(wait)
    }

    fn subscribe_duration(&mut self, duration: monotonic_clock::Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let wait = self.clamp(duration);
        self.inner.subscribe_duration(wait)
    }
}
