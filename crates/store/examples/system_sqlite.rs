//! Embedding stencil-store in an application that brings its own SQLite.
//!
//! libsqlite3-sys can be linked only once per program, so an application
//! that uses the system SQLite (or another rusqlite) turns off this crate's
//! default `bundled` feature:
//!
//! ```toml
//! [dependencies]
//! stencil-store = { version = "0.1", default-features = false }
//! ```
//!
//! Build and run this example the same way (needs the system SQLite's
//! development files, SQLite 3.45.3 or newer — rusqlite 0.41's minimum, see
//! docs/architecture-store.md; Debian 12 ships 3.40):
//!
//! ```text
//! cargo run -p stencil-store --no-default-features --example system_sqlite
//! ```
//!
//! Everything else is the same API. Errors carry no driver type: ask them
//! what happened instead (`is_busy`, `is_retryable`, `sqlite_code`).

use std::error::Error;

use stencil_store::{ArtifactKey, ArtifactQuery, Catalog, CatalogTarget, NewArtifact};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("stencil-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let target = CatalogTarget::sqlite(dir.join("catalog.db"));

    let catalog = Catalog::open_target(&target)?;
    let review = ArtifactKey::parse("skill:review")?;
    catalog.put_artifact(
        &NewArtifact::new(review.clone())
            .description("Review a pull request")
            .file(
                ".claude/skills/review/SKILL.md",
                "Review {{PROJECT}} carefully.\n",
            )
            .tag("quality"),
    )?;
    let page = catalog.list_artifacts(&ArtifactQuery::new().tag("quality"))?;
    println!("{target}: {} artifact(s) tagged quality", page.items.len());

    // Readers that only look never create a catalogue by accident.
    let missing = Catalog::builder()
        .create(false)
        .open(dir.join("typo.db"))
        .unwrap_err();
    println!("{missing}");
    if missing.sqlite_code().is_none() && !missing.is_retryable() {
        println!("(not a database error: nothing to retry)");
    }

    drop(catalog);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
