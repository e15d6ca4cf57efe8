//! Rendering a template file by file: each stored file is read (from the
//! loaded template, or from the catalogue when only its outline was
//! loaded), rendered under one or more variable sets, and handed to the
//! caller before the next is read, so that a deploy holds one file at a
//! time instead of the whole template.

use std::borrow::Cow;
use std::sync::Arc;

use crate::deploy::RelPath;
use crate::render::{RenderError, RenderOptions, Renderer, UnknownPolicy, Variables};
use crate::store::{ArtifactFile, Catalog, Template};
use crate::template::{EXECUTABLE_MODE, RenderedFile, TemplateDeployOptions, select};
use crate::unknown::{FileOrigin, UnknownCollector};
use crate::{Error, FilePart};

/// Where the bytes of a template's files come from.
#[derive(Clone, Copy)]
pub(crate) enum FileSource<'c> {
    /// The template was loaded with its contents.
    Loaded,
    /// The template is an outline
    /// ([`Catalog::load_template_outline`]): each file is read from the
    /// catalogue when it is rendered.
    Catalog(&'c Catalog),
}

/// How many stored bytes [`ReadAhead`] reads from the catalogue in one
/// transaction (plus one file past it): an entity of small files is one
/// round instead of one per file.
const READ_AHEAD_BYTES: usize = 1 << 20;

/// The contents of one entity's files read ahead from the catalogue:
/// `(index in the entity's files, bytes)`, in order.
#[derive(Default)]
struct ReadAhead {
    queue: std::collections::VecDeque<(usize, Vec<u8>)>,
}

impl ReadAhead {
    /// The stored bytes of `files[index]` of artifact `owner`: from the
    /// queue, else read with the ones after it (up to [`READ_AHEAD_BYTES`]).
    fn take(
        &mut self,
        catalog: &Catalog,
        owner: &str,
        files: &[ArtifactFile],
        index: usize,
    ) -> Result<Vec<u8>, Error> {
        // Files skipped since (an unknown placeholder in a path) are dropped.
        while self.queue.front().is_some_and(|(i, _)| *i < index) {
            self.queue.pop_front();
        }
        if self.queue.front().is_none_or(|(i, _)| *i != index) {
            let wanted: Vec<(&str, &str)> = files
                .get(index..)
                .unwrap_or_default()
                .iter()
                .map(|f| (f.hash.as_str(), f.path.as_str()))
                .collect();
            let read = catalog.file_contents(owner, &wanted, READ_AHEAD_BYTES)?;
            self.queue = read
                .into_iter()
                .enumerate()
                .map(|(k, bytes)| (index + k, bytes))
                .collect();
        }
        match self.queue.pop_front() {
            Some((i, bytes)) if i == index => Ok(bytes),
            // Not reachable (`file_contents` returns at least the first
            // file or fails), but a single read is always right.
            _ => {
                let file = &files[index];
                Ok(catalog.file_content(&file.hash, owner, &file.path)?)
            }
        }
    }
}

impl FileSource<'_> {
    /// The stored bytes of `files[index]` of artifact `owner`.
    fn content<'f>(
        self,
        ahead: &mut ReadAhead,
        owner: &str,
        files: &'f [ArtifactFile],
        index: usize,
    ) -> Result<Cow<'f, [u8]>, Error> {
        match self {
            FileSource::Loaded => Ok(Cow::Borrowed(&files[index].content)),
            FileSource::Catalog(catalog) => {
                Ok(Cow::Owned(ahead.take(catalog, owner, files, index)?))
            }
        }
    }
}

/// One stored file, rendered under each variable set given to
/// [`render_each`], in their order.
pub(crate) struct RenderedSet<'t> {
    /// One rendering per variable set.
    pub files: Vec<RenderedFile>,
    /// The stored file (its `content` is empty when rendered from an
    /// outline).
    pub stored: &'t ArtifactFile,
}

/// Renders the selected files of `template` under each of `sets` (at least
/// one), calling `on_file` with each file's renderings before reading the
/// next. `renderers` receives the content renderer of each set once, before
/// the first file, for re-rendering a file later exactly as here.
///
/// Strict unknown placeholders (checked under the first set) are collected
/// over all files and reported together after the last, as one error.
pub(crate) fn render_each<'t>(
    template: &'t Template,
    sets: &[&Variables],
    options: &TemplateDeployOptions,
    source: FileSource<'_>,
    renderers: &mut dyn FnMut(&[Arc<Renderer>]),
    on_file: &mut dyn FnMut(RenderedSet<'t>) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(first) = sets.first() else {
        return Ok(());
    };
    let selected = select(template, options.selection.as_deref())?;
    let lenient = options.lenient;
    // One strict renderer per set serves every path and, unless the deploy
    // is lenient, every file's content; only a lenient deploy builds a second.
    let mut paths = Vec::with_capacity(sets.len());
    let mut contents = Vec::with_capacity(sets.len());
    for vars in sets {
        let strict = Arc::new(Renderer::new(vars, RenderOptions::new())?);
        contents.push(if lenient {
            Arc::new(Renderer::new(
                vars,
                RenderOptions::new().unknown(UnknownPolicy::Lenient),
            )?)
        } else {
            Arc::clone(&strict)
        });
        paths.push(strict);
    }
    renderers(&contents);
    // A strict render goes on past an unknown placeholder, to name every
    // one in a single error; nothing is written either way.
    let mut unknown = UnknownCollector::new(first);
    for entity in template
        .entities
        .iter()
        .filter(|e| selected(e.artifact.to_string()))
    {
        let key = entity.artifact.to_string();
        let mut ahead = ReadAhead::default();
        for (index, file) in entity.files.iter().enumerate() {
            let profiled =
                crate::executable::place(&entity.artifact, &file.path, &options.profile)?;
            let render_error = |part, source| Error::RenderFile {
                artifact: key.clone(),
                file: file.path.clone(),
                part,
                source: Box::new(source),
            };
            let origin = |shown, part| FileOrigin {
                artifact: &key,
                stored_path: &file.path,
                file: shown,
                part,
            };
            // Paths are always strict: a path with a placeholder left in it
            // would create a file literally named `{{X}}`.
            let mut targets = Vec::with_capacity(sets.len());
            for (i, path_renderer) in paths.iter().enumerate() {
                let rendered = match path_renderer.render(&profiled, profiled.as_bytes()) {
                    Ok(rendered) => rendered,
                    Err(RenderError::UnknownPlaceholder { .. }) if !lenient && i == 0 => {
                        unknown.scan(&origin(&profiled, FilePart::Path), profiled.as_bytes())?;
                        break;
                    }
                    Err(e) => return Err(render_error(FilePart::Path, e)),
                };
                let rendered = String::from_utf8_lossy(&rendered).into_owned();
                targets.push(RelPath::new(&rendered).map_err(|source| Error::Path {
                    artifact: key.clone(),
                    path: rendered.clone(),
                    source,
                })?);
            }
            if targets.len() < sets.len() {
                continue;
            }
            let content = source.content(&mut ahead, &key, &entity.files, index)?;
            let verbatim = file.verbatim || Renderer::is_binary(&content);
            let mut files = Vec::with_capacity(sets.len());
            for (i, (path, renderer)) in targets.into_iter().zip(&contents).enumerate() {
                let (bytes, left) = if verbatim {
                    (content.to_vec(), Vec::new())
                } else {
                    match renderer.render_with_summary(path.as_str(), &content) {
                        Ok((bytes, summary)) => {
                            // Rendered into a buffer sized for the stored
                            // bytes and then some; a deploy may hold it.
                            let mut bytes = bytes.into_owned();
                            bytes.shrink_to_fit();
                            (bytes, summary.left)
                        }
                        Err(RenderError::UnknownPlaceholder { .. }) if !lenient && i == 0 => {
                            unknown.scan(&origin(path.as_str(), FilePart::Content), &content)?;
                            break;
                        }
                        Err(e) => return Err(render_error(FilePart::Content, e)),
                    }
                };
                files.push(RenderedFile {
                    artifact: entity.artifact.clone(),
                    stored_path: file.path.clone(),
                    path,
                    contents: bytes,
                    mode: file.executable.then_some(EXECUTABLE_MODE),
                    verbatim,
                    left,
                });
            }
            // Dropped before the next file is read.
            drop(content);
            if files.len() == sets.len() && unknown.total == 0 {
                on_file(RenderedSet {
                    files,
                    stored: file,
                })?;
            }
        }
    }
    if unknown.total > 0 {
        return Err(Error::UnknownPlaceholders {
            placeholders: unknown.found,
            total: unknown.total,
            known: first.iter().map(|(k, _)| k.to_string()).collect(),
        });
    }
    Ok(())
}
