//! The tables and columns of the catalogue schema, as sea-query identifiers
//! (the migrations in `migrations/` create them).

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub(crate) enum Artifacts {
    Table,
    Id,
    Type,
    Name,
    Description,
    Source,
    Digest,
    TagNames,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Blobs {
    Table,
    Hash,
    Size,
    Content,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactFiles {
    Table,
    ArtifactId,
    Path,
    BlobHash,
    Executable,
    Verbatim,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactVersions {
    Table,
    ArtifactId,
    Version,
    Digest,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Collections {
    Table,
    Id,
    Name,
    Description,
    ArtifactCount,
    GroupCount,
    CreatedAt,
    Version,
    Author,
    License,
    Homepage,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum CollectionMembers {
    Table,
    CollectionId,
    ArtifactId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum CollectionGroups {
    Table,
    Id,
    CollectionId,
    Name,
    Position,
    ArtifactCount,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum GroupMembers {
    Table,
    GroupId,
    ArtifactId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Tags {
    Table,
    Id,
    Name,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactTags {
    Table,
    ArtifactId,
    TagId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Templates {
    Table,
    Id,
    Name,
    Description,
    CollectionId,
    FollowsCollection,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum TemplateEntities {
    Table,
    TemplateId,
    ArtifactId,
    DeployOrder,
    Required,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum TemplateVariables {
    Table,
    TemplateId,
    Position,
    Name,
    Required,
    DefaultValue,
    Description,
}
