//! Project templates: what is stored and what a load returns.

use super::artifacts::ArtifactFile;
use super::names::ArtifactKey;

/// A variable a template declares.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VariableDecl {
    /// `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// A deploy must supply a value (unless there is a default).
    pub required: bool,
    /// Value used when none is supplied.
    pub default: Option<String>,
    /// What the variable is for.
    pub description: String,
}

impl VariableDecl {
    /// A variable with every field given (the description starts empty; see
    /// [`with_description`](Self::with_description)).
    pub fn new(name: impl Into<String>, required: bool, default: Option<String>) -> Self {
        VariableDecl {
            name: name.into(),
            required,
            default,
            description: String::new(),
        }
    }

    /// The same variable with a description of what it is for.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// A required variable without default.
    pub fn required(name: impl Into<String>) -> Self {
        VariableDecl {
            name: name.into(),
            required: true,
            default: None,
            description: String::new(),
        }
    }

    /// An optional variable with a default value.
    pub fn optional(name: impl Into<String>, default: impl Into<String>) -> Self {
        VariableDecl {
            name: name.into(),
            required: false,
            default: Some(default.into()),
            description: String::new(),
        }
    }
}

/// An artifact in a template to be stored: the order of
/// [`TemplateSpec::entities`] is the deploy order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntitySpec {
    /// The artifact.
    pub artifact: ArtifactKey,
    /// A deploy must include it.
    pub required: bool,
}

/// A project template to create or replace.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateSpec {
    /// Unique template name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The collection the template was built from, if any.
    pub collection: Option<String>,
    /// The template follows [`collection`](Self::collection): its entities
    /// are the collection's members at each load (by name, all optional),
    /// so members added or removed later are deployed or left out at the
    /// next deploy; [`entities`](Self::entities) must then be empty. When
    /// false the template keeps the entities it was saved with (a snapshot,
    /// if they were the collection's members).
    pub follows_collection: bool,
    /// Artifacts in deploy order.
    pub entities: Vec<EntitySpec>,
    /// Declared variables, in display order.
    pub variables: Vec<VariableDecl>,
}

impl TemplateSpec {
    /// An empty template.
    pub fn new(name: impl Into<String>) -> Self {
        TemplateSpec {
            name: name.into(),
            description: String::new(),
            collection: None,
            follows_collection: false,
            entities: Vec::new(),
            variables: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Links the template to a collection; its entities are still the ones
    /// given with [`entity`](Self::entity).
    pub fn collection(mut self, name: impl Into<String>) -> Self {
        self.collection = Some(name.into());
        self.follows_collection = false;
        self
    }

    /// Makes the template follow a collection: its entities are the
    /// collection's members whenever it is loaded (give no
    /// [`entity`](Self::entity)).
    ///
    /// ```
    /// use stencil_store::TemplateSpec;
    ///
    /// let spec = TemplateSpec::new("web").follows("myapp");
    /// assert_eq!(spec.collection.as_deref(), Some("myapp"));
    /// assert!(spec.follows_collection && spec.entities.is_empty());
    /// ```
    pub fn follows(mut self, collection: impl Into<String>) -> Self {
        self.collection = Some(collection.into());
        self.follows_collection = true;
        self
    }

    /// Appends an artifact (deploy order is the order of calls).
    pub fn entity(mut self, artifact: ArtifactKey, required: bool) -> Self {
        self.entities.push(EntitySpec { artifact, required });
        self
    }

    /// Declares a variable.
    pub fn variable(mut self, variable: VariableDecl) -> Self {
        self.variables.push(variable);
        self
    }
}

/// An artifact of a loaded template, with its files' contents.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateEntity {
    /// Position in the deploy order, from 0.
    pub deploy_order: u32,
    /// A deploy must include it.
    pub required: bool,
    /// The artifact.
    pub artifact: ArtifactKey,
    /// Its description.
    pub description: String,
    /// Its files, by path, contents verified.
    pub files: Vec<ArtifactFile>,
}

/// A template with everything needed to deploy it, from
/// [`Catalog::load_template`](crate::Catalog::load_template).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Template {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Linked collection, if any (and still existing).
    pub collection: Option<String>,
    /// The entities are the members of [`collection`](Self::collection)
    /// as of this load (see [`TemplateSpec::follows_collection`]).
    pub follows_collection: bool,
    /// Declared variables, in declaration order.
    pub variables: Vec<VariableDecl>,
    /// Entities in deploy order.
    pub entities: Vec<TemplateEntity>,
}

/// One row of [`Catalog::list_templates`](crate::Catalog::list_templates).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateSummary {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Linked collection.
    pub collection: Option<String>,
    /// The template follows its collection (its entity count is the
    /// collection's member count).
    pub follows_collection: bool,
    /// Number of entities.
    pub entity_count: u64,
}
