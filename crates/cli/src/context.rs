//! Where the catalogue is, and how a command opens it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use stencil::store::{Catalog, CatalogTarget};

use crate::output::Style;

/// The environment variable naming the catalogue file (or PostgreSQL
/// database).
pub const CATALOG_ENV: &str = "STENCIL_CATALOG";

/// The catalogue used when neither `--catalog` nor `STENCIL_CATALOG` says.
pub const DEFAULT_CATALOG: &str = ".stencil/catalog.db";

/// What every command gets: where the catalogue is and how to print.
#[derive(Debug, Clone)]
pub struct Context {
    /// The catalogue file, or a PostgreSQL connection string
    /// (`postgres://…` or `host=… dbname=…`).
    pub catalog: PathBuf,
    /// Whether the catalogue was given with `--catalog`.
    pub catalog_flag: bool,
    /// `--json`.
    pub json: bool,
    /// Terminal decoration allowed on stderr.
    pub style: Style,
}

impl Context {
    /// Resolves the catalogue: `--catalog`, else `STENCIL_CATALOG`, else
    /// `./.stencil/catalog.db`.
    pub fn new(flag: Option<PathBuf>, json: bool) -> Context {
        let catalog_flag = flag.is_some();
        let catalog = flag
            .or_else(|| {
                std::env::var_os(CATALOG_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CATALOG));
        Context {
            catalog,
            catalog_flag,
            json,
            style: Style::detect(json),
        }
    }

    /// Where the catalogue is, typed: a file or a PostgreSQL database.
    pub fn target(&self) -> CatalogTarget {
        CatalogTarget::from_path(&*self.catalog)
    }

    /// Whether the catalogue is a PostgreSQL database rather than a file.
    pub fn is_postgres(&self) -> bool {
        self.target().is_postgres()
    }

    /// The catalogue for messages: the file, or the connection string
    /// without its password.
    pub fn catalog_display(&self) -> String {
        self.target().to_string()
    }

    /// Opens the catalogue, which must exist: reading commands never create
    /// one by accident (a mistyped path would otherwise yield an empty
    /// catalogue and a confusing "not found"). A PostgreSQL database is
    /// opened (its tables created if missing): the server, not a path,
    /// says whether it exists.
    pub fn open_existing(&self) -> Result<Catalog> {
        if !self.is_postgres() && !self.catalog.exists() {
            bail!(
                "no catalogue at {}; create one with `stencil init` or `stencil import DIR`, \
                 or point --catalog / {CATALOG_ENV} at an existing one",
                self.catalog.display()
            );
        }
        open(&self.catalog, false)
    }

    /// Opens the catalogue, creating it (and its directory) if needed. If
    /// creating fails, whatever was created is removed again.
    pub fn open_or_create(&self) -> Result<Catalog> {
        open_or_create(&self.catalog)
    }

    /// Runs `f` on the catalogue, creating it if needed; if it was created
    /// now and `f` fails, it is removed again, so a failed first import
    /// leaves no empty catalogue behind.
    pub fn with_catalog<T>(&self, f: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        if self.is_postgres() {
            // Nothing to remove on failure: the work ran in transactions.
            return f(&open(&self.catalog, true)?);
        }
        let existed = self.catalog.exists();
        let created_dir = self
            .catalog
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && !p.exists())
            .map(Path::to_path_buf);
        let catalog = self.open_or_create()?;
        let result = f(&catalog);
        if result.is_err() && !existed {
            drop(catalog);
            remove_catalogue(&self.catalog);
            if let Some(dir) = created_dir {
                let _ = fs::remove_dir(dir);
            }
        }
        result
    }
}

/// Removes a catalogue file and SQLite's companions, ignoring errors.
fn remove_catalogue(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = fs::remove_file(PathBuf::from(file));
    }
}

/// Opens the catalogue file (creating it only with `create`: a missing,
/// empty or non-regular file is otherwise an error and left as it is), or
/// the catalogue in a PostgreSQL database. A file on a read-only path opens
/// read-only: reads work, writes fail with the store's "read-only" error.
fn open(path: &Path, create: bool) -> Result<Catalog> {
    let target = CatalogTarget::from_path(path);
    if target.is_postgres() {
        return open_postgres(&target);
    }
    Catalog::builder()
        .create(create)
        .open(path)
        .with_context(|| format!("cannot open catalogue {}", path.display()))
}

/// Opens the catalogue in the PostgreSQL database `target` names.
#[cfg(feature = "postgres")]
fn open_postgres(target: &CatalogTarget) -> Result<Catalog> {
    Catalog::open_target(target)
        .with_context(|| format!("cannot open the PostgreSQL catalogue {target}"))
}

/// Refuses a PostgreSQL catalogue: this binary was built without the
/// `postgres` feature (e.g. a macOS cross-build, which cannot link the
/// PostgreSQL client without Apple's SDK).
#[cfg(not(feature = "postgres"))]
fn open_postgres(target: &CatalogTarget) -> Result<Catalog> {
    bail!(
        "cannot open the PostgreSQL catalogue {target}: this stencil binary was built \
         without PostgreSQL support (cargo feature `postgres` of stencil-cli); use a \
         catalogue file, or a build with the feature"
    )
}

/// Opens or creates the catalogue at `path` (a file or a PostgreSQL
/// connection string), leaving nothing behind on error.
pub fn open_or_create(path: &Path) -> Result<Catalog> {
    if path.exists() || CatalogTarget::from_path(path).is_postgres() {
        return open(path, true);
    }
    let mut created_dirs = Vec::new();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut missing = parent.to_path_buf();
        while !missing.exists() {
            created_dirs.push(missing.clone());
            if !missing.pop() || missing.as_os_str().is_empty() {
                break;
            }
        }
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create directory {}", parent.display()))?;
    }
    match open(path, true) {
        Ok(catalog) => Ok(catalog),
        Err(e) => {
            remove_catalogue(path);
            // Children first; `remove_dir` refuses anything not empty.
            for dir in created_dirs {
                let _ = fs::remove_dir(dir);
            }
            Err(e)
        }
    }
}
