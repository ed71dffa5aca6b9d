//! `itwin-host new --lang LANG NAME`: a connector project that builds with one command and runs
//! on the sample source it ships. The templates (`templates/<lang>/`), the language's SDK and the
//! WIT are embedded at build time (build.rs), so the project needs nothing from this repository.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/scaffold_files.rs"));

/// The languages a project can be created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, built with cargo for wasm32-wasip2.
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// TypeScript, compiled and built with componentize-js.
    Typescript,
}

impl Lang {
    fn key(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Typescript => "typescript",
        }
    }
}

/// Why a project could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0:?} is not a usable connector name: use letters, digits, `-` and `_`, starting with a letter")]
    BadName(String),
    #[error("{} exists and is not empty", .0.display())]
    NotEmpty(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// The names a project uses, all from the folder's name (`site-markers`).
struct Names {
    /// `site-markers`: the package.
    package: String,
    /// `site_markers`: the Rust crate, the Python module and the .wasm file.
    module: String,
    /// `SiteMarkers`: the connector's `info().name`, so its job subjects are `SiteMarkers:<source>`.
    connector: String,
}

impl Names {
    fn of(name: &str) -> Result<Names, ScaffoldError> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ScaffoldError::BadName(name.to_owned()));
        }
        let words: Vec<&str> = name.split(['-', '_']).filter(|w| !w.is_empty()).collect();
        let connector = words
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        Ok(Names { package: name.to_ascii_lowercase(), module: words.join("_").to_ascii_lowercase(), connector })
    }

    fn fill(&self, text: &str) -> String {
        text.replace("__PACKAGE__", &self.package)
            .replace("__MODULE__", &self.module)
            .replace("__CONNECTOR__", &self.connector)
    }
}

/// What `create` wrote.
pub struct Project {
    /// The connector's `info().name`, e.g. `SiteMarkers`.
    pub connector: String,
    /// The component's file name without `.wasm`, e.g. `site_markers`.
    pub module: String,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

/// Writes a new project for `lang` into `dir` (created; it must not exist or be empty).
pub fn create(lang: Lang, dir: &Path) -> Result<Project, ScaffoldError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let names = Names::of(&name)?;
    if std::fs::read_dir(dir).is_ok_and(|mut listing| listing.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.to_owned()));
    }
    let mut written = Vec::new();
    for (file_lang, relative, bytes) in FILES {
        if *file_lang != lang.key() {
            continue;
        }
        let path = dir.join(names.fill(relative));
        let write = |path: &Path| -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().expect("under the project"))?;
            match std::str::from_utf8(bytes) {
                Ok(text) => std::fs::write(path, names.fill(text))?,
                Err(_) => std::fs::write(path, bytes)?,
            }
            if path.extension().is_some_and(|e| e == "sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
            }
            Ok(())
        };
        write(&path).map_err(|source| ScaffoldError::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(Project { connector: names.connector, module: names.module, files: written })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_folder() {
        let names = Names::of("site-markers").unwrap();
        assert_eq!(
            (names.package.as_str(), names.module.as_str(), names.connector.as_str()),
            ("site-markers", "site_markers", "SiteMarkers")
        );
        for bad in ["", "1st", "a b", "../x", "é"] {
            assert!(matches!(Names::of(bad), Err(ScaffoldError::BadName(_))), "{bad:?}");
        }
    }

    #[test]
    fn every_language_has_a_template_and_the_wit() {
        for lang in [Lang::Rust, Lang::Python, Lang::Typescript] {
            let files: Vec<&str> = FILES.iter().filter(|(l, _, _)| *l == lang.key()).map(|(_, p, _)| *p).collect();
            assert!(files.iter().any(|p| p.ends_with("connector.wit")), "{lang:?}: {files:?}");
            assert!(files.contains(&"build.sh"), "{lang:?}: {files:?}");
            assert!(files.contains(&"README.md"), "{lang:?}: {files:?}");
        }
    }
}
