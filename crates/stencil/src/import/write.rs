//! Storing a scanned tree in the catalogue: one transaction, then the
//! collection.

use std::collections::BTreeSet;

use super::error::ImportError;
use super::options::{ImportEvent, ImportOptions};
use super::report::{CollectionImport, PluginImport, ScannedPlugin, ScannedTree, TreeImportReport};
use crate::is_executable_content;
use crate::store::{self, ArtifactKey, Catalog, CollectionMeta, NewArtifact};

/// Stores a scanned tree in one transaction, keeping what the catalogue
/// knows that the tree cannot say (tags, verbatim marks set later), then
/// fills the collection of
/// `options`, if any.
///
/// The collection is created first, so that a bad name fails before
/// anything is stored; it is removed again if storing fails.
pub fn import_scanned(
    catalog: &Catalog,
    mut tree: ScannedTree,
    options: &ImportOptions,
) -> Result<TreeImportReport, ImportError> {
    let source = tree.source.clone();
    let store_error = |e| ImportError::Store {
        path: source.clone(),
        source: Box::new(e),
    };
    let mut verbatim: BTreeSet<String> = tree.verbatim.iter().cloned().collect();
    for artifact in &mut tree.artifacts {
        keep_catalogue_state(catalog, artifact, &mut verbatim).map_err(store_error)?;
    }
    let collection = options.collection_name();
    let created = match collection {
        None => false,
        Some(name) => match catalog.create_collection(name, "") {
            Ok(()) => true,
            Err(store::Error::AlreadyExists { .. }) => false,
            Err(source) => {
                return Err(ImportError::Collection {
                    name: name.to_string(),
                    source: Box::new(source),
                });
            }
        },
    };
    // Sorted, as the scan sorts artifacts by key.
    let executable: Vec<ArtifactKey> = tree
        .artifacts
        .iter()
        .map(|a| &a.key)
        .filter(|k| is_executable_content(k))
        .cloned()
        .collect();
    options.emit(ImportEvent::Storing {
        artifacts: tree.artifacts.len(),
    });
    let report = match catalog.import(std::mem::take(&mut tree.artifacts)) {
        Ok(report) => report,
        Err(e) => {
            if let (true, Some(name)) = (created, collection) {
                // Best effort: the collection was empty and ours.
                let _ = catalog.delete_collection(name);
            }
            return Err(store_error(e));
        }
    };
    options.emit(ImportEvent::Stored);
    let collection = match collection {
        None => None,
        Some(name) => {
            let fill_error = |e| ImportError::CollectionFill {
                path: tree.source.clone(),
                name: name.to_string(),
                source: Box::new(e),
            };
            let keys: Vec<ArtifactKey> = report
                .created
                .iter()
                .chain(&report.updated)
                .chain(&report.unchanged)
                .cloned()
                .collect();
            let added = catalog.add_to_collection(name, &keys).map_err(fill_error)?;
            let artifact_count = catalog
                .collection_artifact_count(name)
                .map_err(fill_error)?;
            Some(CollectionImport {
                name: name.to_string(),
                created,
                added: added.changed.len(),
                artifact_count,
                updated: false,
            })
        }
    };
    let mut plugins = Vec::with_capacity(tree.plugins.len());
    for plugin in tree.plugins {
        let collection =
            fill_plugin_collection(catalog, &plugin).map_err(|e| ImportError::CollectionFill {
                path: tree.source.clone(),
                name: plugin.meta.name.clone(),
                source: Box::new(e),
            })?;
        plugins.push(PluginImport {
            meta: plugin.meta,
            path: plugin.path,
            artifacts: plugin.artifacts,
            twins: plugin.twins,
            collection,
        });
    }
    Ok(TreeImportReport {
        source: tree.source,
        roots: tree.roots,
        files: tree.files,
        bytes: tree.bytes,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        verbatim: verbatim.into_iter().collect(),
        skipped: tree.skipped,
        collection,
        layout: tree.layout,
        plugins,
        skipped_plugins: tree.skipped_plugins,
        executable,
    })
}

/// Creates the collection named after `plugin` (or brings its description
/// and metadata up to date) and adds the plugin's artifacts to it.
fn fill_plugin_collection(
    catalog: &Catalog,
    plugin: &ScannedPlugin,
) -> Result<CollectionImport, store::Error> {
    let meta = &plugin.meta;
    let created = match catalog.create_collection(&meta.name, &meta.description) {
        Ok(()) => true,
        Err(store::Error::AlreadyExists { .. }) => false,
        Err(e) => return Err(e),
    };
    let info = CollectionMeta {
        version: meta.version.clone(),
        author: meta.author.clone(),
        license: meta.license.clone(),
        homepage: meta.homepage.clone(),
    };
    // A new version of the plugin updates its collection in place; a
    // collection just created gets its metadata here too.
    let changed = catalog.update_collection(&meta.name, &meta.description, &info)?;
    let updated = changed && !created;
    let added = catalog.add_to_collection(&meta.name, &plugin.artifacts)?;
    Ok(CollectionImport {
        name: meta.name.clone(),
        created,
        added: added.changed.len(),
        artifact_count: catalog.collection_artifact_count(&meta.name)?,
        updated,
    })
}

/// A re-import replaces an artifact's tags and file flags with what it
/// gives, so give what the catalogue already has: the user's tags and
/// verbatim marks set later. The description is not kept: it is what the
/// tree's front matter now says (empty when it says nothing).
fn keep_catalogue_state(
    catalog: &Catalog,
    artifact: &mut NewArtifact,
    verbatim: &mut BTreeSet<String>,
) -> Result<(), store::Error> {
    // Flags and tags only: the stored contents are not read.
    let stored = match catalog.artifact_outline(&artifact.key) {
        Ok(stored) => stored,
        Err(store::Error::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    artifact.tags = stored.tags;
    for file in &mut artifact.files {
        if !file.verbatim
            && stored
                .files
                .iter()
                .any(|s| s.path == file.path && s.verbatim)
        {
            file.verbatim = true;
            verbatim.insert(file.path.clone());
        }
    }
    Ok(())
}
