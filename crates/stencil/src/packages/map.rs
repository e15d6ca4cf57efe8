//! The package mapping: an artifact or a template of the catalogue as a
//! package, and a package as what the catalogue would store.

use serde::{Deserialize, Serialize};
use stencil_registry::{Package, PackageFile};
use stencil_store::{ArtifactKey, Catalog, NewArtifact, NewFile, TemplateSpec, VariableDecl};

use super::{PackageError, TEMPLATE_KIND, TEMPLATE_MANIFEST, mapping};
use crate::spec::base_spec;

// ------------------------------------------------------------ catalogue → package

/// The package of one artifact (its latest content).
pub fn artifact_package(catalog: &Catalog, key: &ArtifactKey) -> Result<Package, PackageError> {
    let artifact = catalog.artifact(key)?;
    let mut package = Package::new(key.kind(), key.name())?.description(artifact.description);
    for tag in &artifact.tags {
        package = package.tag(tag)?;
    }
    for file in artifact.files {
        package = package.file(
            PackageFile::new(&file.path, file.content)?
                .executable(file.executable)
                .verbatim(file.verbatim),
        )?;
    }
    Ok(package)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateManifest {
    format: String,
    description: String,
    variables: Vec<ManifestVariable>,
    entities: Vec<ManifestEntity>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestVariable {
    name: String,
    required: bool,
    default: Option<String>,
    description: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEntity {
    kind: String,
    name: String,
    required: bool,
    description: String,
    tags: Vec<String>,
}

const TEMPLATE_FORMAT: &str = "stencil-template/1";

/// The package of a template with all its artifacts.
pub fn template_package(catalog: &Catalog, name: &str) -> Result<Package, PackageError> {
    let template = catalog.load_template(name)?;
    let mut entities = Vec::with_capacity(template.entities.len());
    let mut files = Vec::new();
    for (index, entity) in template.entities.iter().enumerate() {
        let tags = catalog.artifact(&entity.artifact)?.tags;
        entities.push(ManifestEntity {
            kind: entity.artifact.kind().to_owned(),
            name: entity.artifact.name().to_owned(),
            required: entity.required,
            description: entity.description.clone(),
            tags,
        });
        for file in &entity.files {
            files.push(
                PackageFile::new(
                    &format!("artifacts/{index}/{}", file.path),
                    file.content.clone(),
                )?
                .executable(file.executable)
                .verbatim(file.verbatim),
            );
        }
    }
    let manifest = TemplateManifest {
        format: TEMPLATE_FORMAT.to_owned(),
        description: template.description.clone(),
        variables: template
            .variables
            .iter()
            .map(|v| ManifestVariable {
                name: v.name.clone(),
                required: v.required,
                default: v.default.clone(),
                description: v.description.clone(),
            })
            .collect(),
        entities,
    };
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| mapping(name, e.to_string()))?;
    let mut package = Package::new(TEMPLATE_KIND, name)?
        .description(template.description)
        .file(PackageFile::new(TEMPLATE_MANIFEST, manifest)?.verbatim(true))?;
    for file in files {
        package = package.file(file)?;
    }
    Ok(package)
}

/// What a package would store: the artifacts and, for a template, its spec.
/// Building it checks everything, so nothing is stored when any check fails.
pub(crate) struct Mapped {
    pub(crate) artifacts: Vec<NewArtifact>,
    pub(crate) template: Option<TemplateSpec>,
    pub(crate) executables: Vec<String>,
}

pub(crate) fn map_package(package: &Package, source: &str) -> Result<Mapped, PackageError> {
    let id = format!("{}@{}", package.id(), package.version());
    if package.kind() != TEMPLATE_KIND {
        let key = ArtifactKey::new(package.kind(), package.name())?;
        let mut artifact = NewArtifact::new(key.clone())
            .description(package.description_text())
            .source(source);
        for tag in package.tags() {
            artifact = artifact.tag(tag.clone());
        }
        let mut executables = Vec::new();
        for file in package.files() {
            if file.is_executable() {
                executables.push(format!("{key}: {}", file.path().as_str()));
            }
            artifact = artifact.with_file(new_file(file.path().as_str(), file));
        }
        if artifact.files.is_empty() {
            return Err(mapping(id, "an artifact package holds at least one file"));
        }
        return Ok(Mapped {
            artifacts: vec![artifact],
            template: None,
            executables,
        });
    }
    let manifest_file = package
        .files()
        .iter()
        .find(|f| f.path().as_str() == TEMPLATE_MANIFEST)
        .ok_or_else(|| mapping(&id, format!("a template package holds {TEMPLATE_MANIFEST}")))?;
    let manifest: TemplateManifest = serde_json::from_slice(manifest_file.bytes())
        .map_err(|e| mapping(&id, format!("{TEMPLATE_MANIFEST}: {e}")))?;
    if manifest.format != TEMPLATE_FORMAT {
        return Err(mapping(&id, format!("{TEMPLATE_MANIFEST}: unknown format")));
    }
    let mut artifacts = Vec::with_capacity(manifest.entities.len());
    let mut spec = TemplateSpec::new(package.name()).description(manifest.description);
    for entity in &manifest.entities {
        let key = ArtifactKey::new(&entity.kind, &entity.name)?;
        let mut artifact = NewArtifact::new(key.clone())
            .description(&entity.description)
            .source(source);
        for tag in &entity.tags {
            artifact = artifact.tag(tag.clone());
        }
        artifacts.push(artifact);
        spec = spec.entity(key, entity.required);
    }
    let mut executables = Vec::new();
    for file in package.files() {
        let path = file.path().as_str();
        if path == TEMPLATE_MANIFEST {
            continue;
        }
        let rest = path
            .strip_prefix("artifacts/")
            .ok_or_else(|| mapping(&id, format!("stray file {path:?}")))?;
        let (index, inner) = rest
            .split_once('/')
            .ok_or_else(|| mapping(&id, format!("stray file {path:?}")))?;
        let artifact = index
            .parse::<usize>()
            .ok()
            .filter(|i| index == i.to_string())
            .and_then(|i| artifacts.get_mut(i))
            .ok_or_else(|| mapping(&id, format!("file {path:?} belongs to no entity")))?;
        if file.is_executable() {
            executables.push(format!("{}: {inner}", artifact.key));
        }
        *artifact = std::mem::replace(artifact, NewArtifact::new(artifact.key.clone()))
            .with_file(new_file(inner, file));
    }
    if let Some(empty) = artifacts.iter().find(|a| a.files.is_empty()) {
        return Err(mapping(&id, format!("entity `{}` has no files", empty.key)));
    }
    let mut variables = base_spec();
    for v in &manifest.variables {
        spec = spec.variable(
            VariableDecl::new(v.name.clone(), v.required, v.default.clone())
                .with_description(v.description.clone()),
        );
        variables = variables.optional(&v.name);
    }
    // Checks the variable names before anything is stored.
    variables.build()?;
    Ok(Mapped {
        artifacts,
        template: Some(spec),
        executables,
    })
}

fn new_file(path: &str, file: &PackageFile) -> NewFile {
    let mut new = NewFile::new(path, file.bytes().to_vec());
    new.executable = file.is_executable();
    new.verbatim = file.is_verbatim();
    new
}
