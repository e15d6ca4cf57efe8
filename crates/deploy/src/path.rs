//! Component-wise validation of the relative paths a plan may name.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

use crate::error::PathError;

/// The directory, directly under the project root, where stencil keeps its
/// lock, journal and staging area. No planned path may lie inside it.
pub const STATE_DIR: &str = ".stencil";

/// Characters Windows forbids in file names, besides `\\`, `/` and `:`
/// (refused with errors of their own) and control characters.
const WINDOWS_FORBIDDEN: &[char] = &['<', '>', '"', '|', '?', '*'];

/// The longest file name ext4, XFS, btrfs, APFS and NTFS all accept.
const MAX_COMPONENT_BYTES: usize = 255;

/// Device names Windows reserves in every directory, with or without an
/// extension (`CON`, `con.txt`, `Nul.tar.gz`). The superscript digits are
/// reserved too (Windows treats `COM¹` like `COM1`).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// A validated path relative to the project root, in normal form.
///
/// Validation is component-wise, never a substring test: `notes..md` and
/// `a..b/c` are accepted because no component *is* `..`. A `RelPath`
/// guarantees, for every platform a project might later be checked out on:
///
/// * it is not empty and not absolute, and has no `..` component;
/// * it contains no NUL, no backslash and no `:` (so no drive letter, UNC or
///   verbatim prefix, and no NTFS stream name);
/// * no component holds a control character (newline, tab, `DEL`, the C1
///   controls) or a character Windows forbids (`<>"|?*`);
/// * no component is a Windows reserved device name (`CON`, `nul.txt`,
///   `COM1.log`, …), ends in a dot or a space, or is longer than 255 bytes;
/// * it does not lie inside [`STATE_DIR`] (compared ignoring case).
///
/// The normal form drops `.` components and repeated or trailing slashes:
/// `./a//b/` becomes `a/b`.
///
/// Names that are distinct here but one file elsewhere — `README.md` and
/// `readme.md`, or `café` composed (NFC) and decomposed (NFD), one file on
/// macOS — are valid `RelPath`s; a [`DeployPlan`](crate::DeployPlan)
/// refuses to hold both.
///
/// A `RelPath` says nothing about symbolic links: those are checked at
/// write time, when the deploy resolves each parent directory without
/// following any link.
///
/// ```
/// use stencil_deploy::RelPath;
///
/// assert_eq!(RelPath::new("./docs//notes..md")?.as_str(), "docs/notes..md");
/// assert!(RelPath::new("docs/../../etc/passwd").is_err());
/// assert!(RelPath::new("C:/Windows").is_err());
/// assert!(RelPath::new("aux.md").is_err());
/// # Ok::<(), stencil_deploy::PathError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Validate and normalise `path`. See the type's documentation for the
    /// rules; the error names the offending component.
    pub fn new(path: &str) -> Result<RelPath, PathError> {
        let owned = || path.to_owned();
        if path.contains('\0') {
            return Err(PathError::Nul { path: owned() });
        }
        if path.contains('\\') {
            return Err(PathError::Backslash { path: owned() });
        }
        if path.contains(':') {
            return Err(PathError::Colon { path: owned() });
        }
        if path.starts_with('/') {
            return Err(PathError::Absolute { path: owned() });
        }
        let mut normal = String::with_capacity(path.len());
        for component in path.split('/') {
            if component.is_empty() || component == "." {
                continue;
            }
            if component == ".." {
                return Err(PathError::ParentDir { path: owned() });
            }
            if component.len() > MAX_COMPONENT_BYTES {
                return Err(PathError::TooLong {
                    path: owned(),
                    len: component.len(),
                });
            }
            if component.chars().any(char::is_control) {
                return Err(PathError::ControlCharacter {
                    path: owned(),
                    component: component.to_owned(),
                });
            }
            if let Some(character) = component.chars().find(|c| WINDOWS_FORBIDDEN.contains(c)) {
                return Err(PathError::WindowsForbidden {
                    path: owned(),
                    component: component.to_owned(),
                    character,
                });
            }
            if component.ends_with('.') || component.ends_with(' ') {
                return Err(PathError::TrailingDotOrSpace {
                    path: owned(),
                    component: component.to_owned(),
                });
            }
            if is_reserved(component) {
                return Err(PathError::Reserved {
                    path: owned(),
                    component: component.to_owned(),
                });
            }
            if normal.is_empty() && component.eq_ignore_ascii_case(STATE_DIR) {
                return Err(PathError::StateDir { path: owned() });
            }
            if !normal.is_empty() {
                normal.push('/');
            }
            normal.push_str(component);
        }
        if normal.is_empty() {
            return Err(PathError::Empty { path: owned() });
        }
        Ok(RelPath(normal))
    }

    /// A path inside [`STATE_DIR`], for the files a caller keeps there
    /// beside the deploy's own (the facade's deployment records and bases):
    /// `rest` is validated like any path, and may not start with a name the
    /// deploy protocol uses (anything beginning with `deploy-`, compared
    /// ignoring case). Such entries are placed, journaled and rolled back
    /// like any other.
    ///
    /// ```
    /// use stencil_deploy::RelPath;
    ///
    /// let record = RelPath::in_state_dir("deployments/web.json")?;
    /// assert_eq!(record.as_str(), ".stencil/deployments/web.json");
    /// assert!(record.is_in_state_dir());
    /// assert!(RelPath::in_state_dir("deploy-journal").is_err());
    /// assert!(RelPath::in_state_dir("../x").is_err());
    /// # Ok::<(), stencil_deploy::PathError>(())
    /// ```
    pub fn in_state_dir(rest: &str) -> Result<RelPath, PathError> {
        let inner = RelPath::new(rest)?;
        let first = inner.components().next().unwrap_or("");
        if first
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("deploy-"))
        {
            return Err(PathError::StateDir {
                path: format!("{STATE_DIR}/{rest}"),
            });
        }
        Ok(RelPath(format!("{STATE_DIR}/{}", inner.0)))
    }

    /// Whether the path lies inside [`STATE_DIR`] (made by
    /// [`in_state_dir`](Self::in_state_dir)).
    pub fn is_in_state_dir(&self) -> bool {
        self.0
            .strip_prefix(STATE_DIR)
            .is_some_and(|r| r.starts_with('/'))
    }

    /// Parses a path written by [`as_str`](Self::as_str): an ordinary path,
    /// or one inside the state directory (journal lines hold both).
    pub(crate) fn parse_stored(path: &str) -> Result<RelPath, PathError> {
        match path
            .strip_prefix(STATE_DIR)
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(rest) => RelPath::in_state_dir(rest),
            None => RelPath::new(path),
        }
    }

    /// The normal form, components separated by `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normal form as a relative [`Path`], ready to join onto a root.
    pub fn as_path(&self) -> &Path {
        Path::new(&self.0)
    }

    /// The components, outermost first.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component: the file's name.
    pub fn file_name(&self) -> &str {
        self.split().1
    }

    /// Everything before the last component (`""` for a file directly in
    /// the root), in normal form.
    pub fn parent_str(&self) -> &str {
        self.split().0
    }

    fn split(&self) -> (&str, &str) {
        match self.0.rfind('/') {
            Some(i) => (&self.0[..i], &self.0[i + 1..]),
            None => ("", &self.0),
        }
    }

    /// Wrap a string already in normal form (a prefix of a valid path).
    pub(crate) fn from_normal(normal: &str) -> RelPath {
        RelPath(normal.to_owned())
    }

    /// The key two paths collide under on a case-insensitive, normalising
    /// file system (the macOS and Windows defaults): decomposed, lowercased,
    /// recomposed (NFC), so `Café`, `café` and `cafe\u{301}` share one key.
    pub(crate) fn folded(&self) -> String {
        fold(&self.0)
    }
}

/// See [`RelPath::folded`].
fn fold(s: &str) -> String {
    // ASCII is its own NFD and NFC, and lowercases to ASCII: the common
    // case skips both normalisations (a plan folds every path it holds).
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    fold_unicode(s)
}

/// Decomposed, lowercased, recomposed: [`fold`] for any text.
fn fold_unicode(s: &str) -> String {
    s.nfd().collect::<String>().to_lowercase().nfc().collect()
}

fn is_reserved(component: &str) -> bool {
    // Windows ignores everything from the first dot, and trailing spaces
    // before it: `CON .txt` opens the console too.
    let stem = component.split('.').next().unwrap_or(component);
    let stem = stem.trim_end_matches(' ');
    // The longest reserved name is 7 bytes (`CONOUT$`); an ASCII stem
    // compares without allocating (Unicode uppercasing of ASCII is ASCII's).
    if stem.is_ascii() {
        return stem.len() <= 7 && RESERVED.iter().any(|name| name.eq_ignore_ascii_case(stem));
    }
    // Every reserved name has 3 to 7 characters, and upper-casing never
    // makes a name shorter in characters (it can in bytes: `ı` becomes
    // `I`), so a longer stem is none of them. The stem is upper-cased once,
    // not once per reserved name: this runs for every component of every
    // path a deploy names.
    if stem.chars().nth(7).is_some() {
        return false;
    }
    let upper = stem.to_uppercase();
    RESERVED.contains(&upper.as_str())
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for RelPath {
    fn as_ref(&self) -> &Path {
        self.as_path()
    }
}

impl FromStr for RelPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<RelPath, PathError> {
        RelPath::new(s)
    }
}

impl TryFrom<&str> for RelPath {
    type Error = PathError;

    fn try_from(s: &str) -> Result<RelPath, PathError> {
        RelPath::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_dots_and_slashes() {
        for (input, want) in [
            ("a", "a"),
            ("./a", "a"),
            ("a//b", "a/b"),
            ("a/./b/", "a/b"),
            ("././a///b/.", "a/b"),
            ("notes..md", "notes..md"),
            ("a..b/c", "a..b/c"),
            (".hidden", ".hidden"),
            ("...x", "...x"),
            (".stencilrc", ".stencilrc"),
            ("docs/.stencil/x", "docs/.stencil/x"),
            ("CONSOLE.md", "CONSOLE.md"),
            ("com10", "com10"),
        ] {
            assert_eq!(
                RelPath::new(input).map(|p| p.0),
                Ok(want.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn splits_parent_and_name() {
        let p = RelPath::new("a/b/c.md").unwrap();
        assert_eq!((p.parent_str(), p.file_name()), ("a/b", "c.md"));
        let p = RelPath::new("top.md").unwrap();
        assert_eq!((p.parent_str(), p.file_name()), ("", "top.md"));
        assert_eq!(p.components().collect::<Vec<_>>(), ["top.md"]);
    }

    #[test]
    fn rejects_each_rule_with_its_own_error() {
        use PathError as E;
        let kind = |s: &str| match RelPath::new(s) {
            Err(E::Empty { .. }) => "empty",
            Err(E::Absolute { .. }) => "absolute",
            Err(E::ParentDir { .. }) => "parent",
            Err(E::Nul { .. }) => "nul",
            Err(E::Backslash { .. }) => "backslash",
            Err(E::Colon { .. }) => "colon",
            Err(E::Reserved { .. }) => "reserved",
            Err(E::TrailingDotOrSpace { .. }) => "trailing",
            Err(E::ControlCharacter { .. }) => "control",
            Err(E::WindowsForbidden { .. }) => "windows",
            Err(E::TooLong { .. }) => "long",
            Err(E::StateDir { .. }) => "state",
            Ok(_) => "ok",
        };
        assert_eq!(kind(""), "empty");
        assert_eq!(kind("./"), "empty");
        assert_eq!(kind("/etc/passwd"), "absolute");
        assert_eq!(kind("a/../b"), "parent");
        assert_eq!(kind("a\0b"), "nul");
        assert_eq!(kind("..\\x"), "backslash");
        assert_eq!(kind("C:foo"), "colon");
        assert_eq!(kind("a:stream"), "colon");
        assert_eq!(kind("x/CON"), "reserved");
        assert_eq!(kind("nul.txt"), "reserved");
        assert_eq!(kind("Com1.tar.gz"), "reserved");
        assert_eq!(kind("LPT¹"), "reserved");
        assert_eq!(kind("aux .md"), "reserved");
        // Compared upper-cased per Unicode: dotless `ı` becomes `I`, so a
        // stem of 6 characters and 7 bytes still matches.
        assert_eq!(kind("conın$"), "reserved");
        assert_eq!(kind("conoutx"), "ok");
        assert_eq!(kind("CONOUT$$"), "ok");
        assert_eq!(kind("dir./x"), "trailing");
        assert_eq!(kind("x/name "), "trailing");
        assert_eq!(kind(&"a".repeat(256)), "long");
        assert_eq!(kind(&"a".repeat(255)), "ok");
        assert_eq!(kind(".stencil/x"), "state");
        for control in [
            "nl\nx.md",
            "a/tab\there",
            "x\r",
            "del\u{7f}",
            "c1\u{85}",
            "esc\u{1b}[0m",
        ] {
            assert_eq!(kind(control), "control", "{control:?}");
        }
        for forbidden in ["q?.md", "a/*", "<x>", "pipe|d/x", "say\"hi\"", "a/b>c"] {
            assert_eq!(kind(forbidden), "windows", "{forbidden:?}");
        }
        assert_eq!(kind("café/naïve-ünïcode.md"), "ok");
        assert_eq!(kind("./.STENCIL"), "state");
    }

    #[test]
    fn folding_joins_case_and_unicode_normalisation() {
        let key = |s: &str| RelPath::new(s).unwrap().folded();
        assert_eq!(key("caf\u{e9}.md"), key("cafe\u{301}.md"));
        assert_eq!(key("CAF\u{c9}/X.md"), key("cafe\u{301}/x.md"));
        assert_ne!(key("cafe.md"), key("caf\u{e9}.md"));
    }

    #[test]
    fn folding_ascii_takes_a_shortcut_to_the_same_key() {
        for b in 0..=0x7fu8 {
            let s = char::from(b).to_string();
            assert_eq!(fold(&s), fold_unicode(&s), "{b:#x}");
        }
        let path = ".Claude/Skills/Web-Dev/SKILL.md";
        assert_eq!(fold(path), fold_unicode(path));
        assert_eq!(fold(path), ".claude/skills/web-dev/skill.md");
    }

    #[test]
    fn folding_every_character_is_stable_under_lowercase_and_both_forms() {
        // Exhaustive over single characters: another spelling of a name in
        // either normalisation form or in lower case has the same key, so a
        // plan refuses it (the fuzz target checks the same on whole paths).
        let mut failures = Vec::new();
        let mut checked = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut one = [0u8; 4];
            let s: &str = c.encode_utf8(&mut one);
            let variants = [
                s.nfd().collect::<String>(),
                s.nfc().collect(),
                s.to_lowercase(),
            ];
            if variants.iter().all(|v| v == s) {
                continue;
            }
            checked += 1;
            let key = fold(s);
            if variants.iter().any(|v| fold(v) != key) {
                failures.push(c);
            }
        }
        assert!(checked > 2000, "{checked}");
        assert!(failures.is_empty(), "{failures:?}");
    }

    #[test]
    fn control_and_windows_errors_name_the_component() {
        let err = RelPath::new("rules/nl\nx.md").unwrap_err().to_string();
        assert!(
            err.contains(r#""nl\nx.md""#) && err.contains("control"),
            "{err}"
        );
        let err = RelPath::new("docs/q?.md").unwrap_err().to_string();
        assert!(err.contains("`q?.md`") && err.contains("`?`"), "{err}");
    }

    #[test]
    fn error_names_the_component() {
        let err = RelPath::new("docs/con.md").unwrap_err().to_string();
        assert!(
            err.contains("docs/con.md") && err.contains("`con.md`"),
            "{err}"
        );
    }
}
