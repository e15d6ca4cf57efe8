//! Files of a deploy plan that are read from the catalogue and rendered
//! again when staged, instead of being held from planning on: what keeps a
//! deploy's memory bounded by its largest file (times the staging workers)
//! plus [`EAGER_BYTES`], however large the template.

use std::io;
use std::sync::Arc;

use crate::deploy::{ContentSource, Contents};
use crate::render::Renderer;
use crate::store::Catalog;

/// How many rendered bytes a deploy holds in memory from planning to
/// staging; files past it are deferred. Small templates (10,000 files of
/// 1 KiB are 10 MiB) stay entirely in memory, so they pay no second read.
pub(crate) const EAGER_BYTES: usize = 32 << 20;

/// A rendered file read again from the catalogue when it is staged.
///
/// The stored blob is checked against its hash on the way out
/// ([`Catalog::file_content`]) and rendering is deterministic, so the bytes
/// staged are the bytes planned (and hashed into the record); a blob gone
/// or changed since planning fails the deploy before anything is placed.
pub(crate) struct CatalogFile {
    /// A handle of its own ([`Catalog::try_clone`]), shared by the files of
    /// one deploy: staging runs on worker threads.
    pub catalog: Arc<Catalog>,
    /// The stored file's hash, artifact and stored path.
    pub hash: String,
    pub owner: String,
    pub stored_path: String,
    /// The target path, as the render saw it.
    pub path: String,
    /// `None`: copied as stored (verbatim or binary).
    pub renderer: Option<Arc<Renderer>>,
    /// The rendered length.
    pub len: u64,
}

impl std::fmt::Debug for CatalogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogFile")
            .field("owner", &self.owner)
            .field("stored_path", &self.stored_path)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl ContentSource for CatalogFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&self) -> io::Result<Vec<u8>> {
        let stored = self
            .catalog
            .file_content(&self.hash, &self.owner, &self.stored_path)
            .map_err(io::Error::other)?;
        match &self.renderer {
            None => Ok(stored),
            Some(renderer) => renderer
                .render(&self.path, &stored)
                .map(std::borrow::Cow::into_owned)
                .map_err(io::Error::other),
        }
    }
}

/// Decides, file by file, whether a plan holds a file's bytes or defers
/// them: held while the total stays within [`EAGER_BYTES`], deferred after
/// (when the catalogue can be opened again; an in-memory one cannot, and
/// holds its template anyway).
pub(crate) struct Holder<'c> {
    catalog: &'c Catalog,
    shared: Option<Option<Arc<Catalog>>>,
    held: usize,
    budget: usize,
}

impl<'c> Holder<'c> {
    pub(crate) fn new(catalog: &'c Catalog) -> Holder<'c> {
        Holder::with_budget(catalog, EAGER_BYTES)
    }

    pub(crate) fn with_budget(catalog: &'c Catalog, budget: usize) -> Holder<'c> {
        Holder {
            catalog,
            shared: None,
            held: 0,
            budget,
        }
    }

    /// The contents for `bytes`, rendered from `file` by `renderer`: the
    /// bytes themselves, or a [`CatalogFile`] that renders them again.
    pub(crate) fn contents(
        &mut self,
        bytes: Vec<u8>,
        file: impl FnOnce(Arc<Catalog>, u64) -> CatalogFile,
    ) -> Contents {
        if self.held + bytes.len() > self.budget
            && let Some(catalog) = self.shared()
        {
            return Contents::deferred(Arc::new(file(catalog, bytes.len() as u64)));
        }
        self.held += bytes.len();
        Contents::shared(Arc::new(bytes))
    }

    fn shared(&mut self) -> Option<Arc<Catalog>> {
        self.shared
            .get_or_insert_with(|| self.catalog.try_clone().ok().map(Arc::new))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{RenderOptions, VariableSpec};
    use crate::store::{ArtifactKey, NewArtifact, TemplateSpec};

    /// A catalogue file holding one artifact file, and its outline.
    fn stored(catalog: &Catalog, bytes: &str) -> crate::store::ArtifactFile {
        let key = ArtifactKey::new("skill", "x").unwrap();
        catalog
            .put_artifact(&NewArtifact::new(key.clone()).file("SKILL.md", bytes))
            .unwrap();
        catalog
            .create_template(&TemplateSpec::new("t").entity(key, true))
            .unwrap();
        let outline = catalog.load_template_outline("t").unwrap();
        outline.entities[0].files[0].clone()
    }

    fn source(
        file: &crate::store::ArtifactFile,
        renderer: Option<Arc<Renderer>>,
    ) -> impl FnOnce(Arc<Catalog>, u64) -> CatalogFile {
        let file = file.clone();
        move |catalog, len| CatalogFile {
            catalog,
            hash: file.hash,
            owner: "skill:x".into(),
            stored_path: file.path,
            path: "SKILL.md".into(),
            renderer,
            len,
        }
    }

    #[test]
    fn holds_within_the_budget_and_defers_past_it_rendering_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path().join("c.db")).unwrap();
        let file = stored(&catalog, "hello {{X}}");
        let vars = VariableSpec::open().validate([("X", "world")]).unwrap();
        let renderer = Arc::new(Renderer::new(&vars, RenderOptions::new()).unwrap());
        let rendered = renderer
            .render("SKILL.md", b"hello {{X}}")
            .unwrap()
            .into_owned();
        let mut holder = Holder::with_budget(&catalog, 12);
        let first = holder.contents(rendered.clone(), source(&file, Some(renderer.clone())));
        assert_eq!(
            first.as_slice(),
            Some(&rendered[..]),
            "within the budget: held"
        );
        let second = holder.contents(rendered.clone(), source(&file, Some(renderer)));
        assert_eq!(second.as_slice(), None, "past the budget: deferred");
        assert_eq!(second.len(), rendered.len());
        assert_eq!(&*second.bytes().unwrap(), &rendered[..]);
        // Verbatim: the stored bytes as they are.
        let third = holder.contents(b"hello {{X}}".to_vec(), source(&file, None));
        assert_eq!(&*third.bytes().unwrap(), b"hello {{X}}");
    }

    #[test]
    fn a_blob_gone_since_planning_fails_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path().join("c.db")).unwrap();
        let mut file = stored(&catalog, "abc");
        file.hash = "0".repeat(64);
        let mut holder = Holder::with_budget(&catalog, 0);
        let contents = holder.contents(b"abc".to_vec(), source(&file, None));
        let err = contents.bytes().unwrap_err();
        assert!(err.to_string().contains("SKILL.md"), "{err}");
    }

    #[test]
    fn an_in_memory_catalogue_holds_everything() {
        let catalog = Catalog::open_in_memory().unwrap();
        let file = stored(&catalog, "abc");
        let mut holder = Holder::with_budget(&catalog, 0);
        let contents = holder.contents(b"abc".to_vec(), source(&file, None));
        assert_eq!(contents.as_slice(), Some(&b"abc"[..]));
    }
}
