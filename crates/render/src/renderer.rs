use std::borrow::Cow;

use memchr::memmem;

use crate::ident::ident_end;
use crate::names::NameIndex;
use crate::spec::is_ident_start;
use crate::{RenderError, Variables};

/// How many leading bytes are inspected for a NUL to call input binary (the
/// same heuristic as git and grep).
pub const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// What to do with a well-formed `{{NAME}}` whose NAME has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnknownPolicy {
    /// Fail with [`RenderError::UnknownPlaceholder`] (file, line, column).
    #[default]
    Strict,
    /// Leave the placeholder as it is and list it in
    /// [`RenderSummary::left`].
    Lenient,
}

/// What to do with input that looks binary (a NUL in the first 8 KiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BinaryPolicy {
    /// Return the input unchanged and set [`RenderSummary::binary`].
    #[default]
    Skip,
    /// Render it like text.
    Render,
}

/// Options for a [`Renderer`]. `RenderOptions::default()` is strict and skips
/// binary input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    unknown: UnknownPolicy,
    binary: BinaryPolicy,
}

impl RenderOptions {
    /// Strict, binary input skipped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the policy for unknown placeholders.
    pub fn unknown(mut self, policy: UnknownPolicy) -> Self {
        self.unknown = policy;
        self
    }

    /// Sets the policy for binary input.
    pub fn binary(mut self, policy: BinaryPolicy) -> Self {
        self.binary = policy;
        self
    }

    /// Shorthand for `unknown(UnknownPolicy::Lenient)`.
    pub fn lenient(self) -> Self {
        self.unknown(UnknownPolicy::Lenient)
    }
}

/// A placeholder left in the output by a lenient render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LeftPlaceholder {
    /// The name between the braces.
    pub name: String,
    /// 1-based line of its first `{`.
    pub line: usize,
    /// 1-based column of its first `{`, in characters (an invalid UTF-8
    /// byte counts as one).
    pub column: usize,
}

/// What a render did, besides producing bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderSummary {
    /// True when the input was treated as binary and passed through unchanged.
    pub binary: bool,
    /// How many placeholders were replaced by a value.
    pub replaced: usize,
    /// How many escaped placeholders (`{{\NAME}}`) were written as a literal
    /// `{{NAME}}`.
    pub escaped: usize,
    /// Unknown placeholders left as they were (lenient mode only), in order.
    pub left: Vec<LeftPlaceholder>,
}

impl RenderSummary {
    /// True when the output differs from the input.
    pub fn changed(&self) -> bool {
        self.replaced + self.escaped > 0
    }
}

/// Substitutes `{{NAME}}` placeholders in one pass.
///
/// Build one per variable set and reuse it for every file (construction
/// copies the variables; it is cheap, but there is no reason to repeat it).
/// Rendering takes `&self`, so one renderer can
/// serve many threads.
///
/// # Grammar
///
/// * `{{NAME}}`, with NAME matching `[A-Za-z_][A-Za-z0-9_]*` and nothing else
///   between the braces, is a placeholder. A known NAME is replaced by its
///   value's bytes, verbatim. Values are never rescanned: a value containing
///   `{{OTHER}}`, `\1`, `$1` or `\n` appears literally.
/// * `{{\NAME}}` for a NAME that has a value is the escape: it is written as
///   the literal text `{{NAME}}`. For any other NAME it is ordinary text.
/// * Everything else passes through byte for byte: `{{ NAME }}`,
///   `${{ github.ref }}`, `{{ .Values.x }}`, `{% if %}`, a lone `{{` or `}}`.
/// * Braces around a placeholder are ordinary text, so `{{{NAME}}}` renders
///   as `{` + value + `}` and `{{{{NAME}}}}` as `{{` + value + `}}`.
///
/// # Cost
///
/// One SIMD scan for `{{`: `memchr` for a `{` while every `{` so far began
/// a `{{`, `memchr::memmem` for the pair from the first lone `{` on (code,
/// JSON); at each hit the
/// name's bytes are scanned once and looked up: among the names of that
/// length while no length has more than three names (the usual small set),
/// otherwise in a hash table, so a lookup costs about the same with 10,000 variables
/// as with 10. Construction copies the names and values and indexes them.
/// Output is written by copying the runs between placeholders, in steps of
/// 2 KiB right behind the scan (so the input is read from memory once, like
/// a memcpy), so the cost is linear in the input size plus the size of the
/// values inserted.
///
/// # Example
///
/// ```
/// use stencil_render::{Renderer, RenderOptions, VariableSpec};
///
/// let vars = VariableSpec::open().validate([("NAME", "stencil"), ("PATH", r"C:\new\1")])?;
/// let renderer = Renderer::new(&vars, RenderOptions::default())?;
///
/// let out = renderer.render("README.md", b"# {{NAME}} at {{PATH}}, ${{ github.ref }}")?;
/// assert_eq!(&*out, br"# stencil at C:\new\1, ${{ github.ref }}");
///
/// // Escaping a known name writes it literally.
/// let out = renderer.render("doc.md", br"write {{\NAME}} to get {{NAME}}")?;
/// assert_eq!(&*out, b"write {{NAME}} to get stencil");
///
/// // Strict mode names the file, line and column of an unknown placeholder.
/// let err = renderer.render("a.md", b"ok\n  {{OTHER}}").unwrap_err();
/// assert!(err.to_string().starts_with("a.md:2:3: unknown placeholder `{{OTHER}}`"));
/// # Ok::<(), stencil_render::RenderError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Renderer {
    /// Names with a value, each with its value (see `names.rs` for the two
    /// layouts and the measurement that chose them).
    index: NameIndex,
    open: memmem::Finder<'static>,
    options: RenderOptions,
    vars: Variables,
}

/// Where a `{{` found by the scan leads.
enum Hit<'r> {
    /// A known placeholder ending at `end`, replaced by `value`.
    Known { value: &'r [u8], end: usize },
    /// `{{\NAME}}` for a known NAME, ending at `end`.
    Escaped { end: usize },
    /// A well-formed placeholder with an unknown NAME spanning `name`.
    Unknown { name: std::ops::Range<usize> },
    /// Not a placeholder.
    Text,
}

impl Renderer {
    /// Builds a renderer for `vars`.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for limits on the variable set.
    pub fn new(vars: &Variables, options: RenderOptions) -> Result<Renderer, RenderError> {
        Ok(Renderer {
            index: NameIndex::new(vars),
            open: memmem::Finder::new(b"{{").into_owned(),
            options,
            vars: vars.clone(),
        })
    }

    /// The variables this renderer substitutes.
    pub fn variables(&self) -> &Variables {
        &self.vars
    }

    /// The options this renderer was built with.
    pub fn options(&self) -> RenderOptions {
        self.options
    }

    /// True when `input` looks binary: it has a NUL byte in its first
    /// [`BINARY_SNIFF_LEN`] bytes.
    pub fn is_binary(input: &[u8]) -> bool {
        memchr::memchr(0, &input[..input.len().min(BINARY_SNIFF_LEN)]).is_some()
    }

    /// Renders `input`, borrowing it when nothing is replaced.
    ///
    /// `name` identifies the input in errors (usually its path).
    ///
    /// # Errors
    ///
    /// [`RenderError::UnknownPlaceholder`] in strict mode.
    pub fn render<'a>(&self, name: &str, input: &'a [u8]) -> Result<Cow<'a, [u8]>, RenderError> {
        self.render_with_summary(name, input).map(|(out, _)| out)
    }

    /// Like [`render`](Self::render), and also says what was done: whether
    /// the input was binary, how many placeholders were replaced, and which
    /// were left (lenient mode).
    ///
    /// # Errors
    ///
    /// [`RenderError::UnknownPlaceholder`] in strict mode.
    pub fn render_with_summary<'a>(
        &self,
        name: &str,
        input: &'a [u8],
    ) -> Result<(Cow<'a, [u8]>, RenderSummary), RenderError> {
        let mut out = Vec::new();
        let summary = self.scan(name, input, &mut out, false)?;
        if summary.changed() {
            Ok((Cow::Owned(out), summary))
        } else {
            Ok((Cow::Borrowed(input), summary))
        }
    }

    /// Renders `input`, appending the result to `out` (reuse one buffer for
    /// many files to avoid allocating).
    ///
    /// On error, `out` is truncated back to the length it had: nothing
    /// half-rendered is left in it.
    ///
    /// # Errors
    ///
    /// [`RenderError::UnknownPlaceholder`] in strict mode.
    pub fn render_into(
        &self,
        name: &str,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<RenderSummary, RenderError> {
        let start = out.len();
        let result = self.scan(name, input, out, true);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// The single pass. Output is written lazily: `flushed` marks how much of
    /// the input has been copied to `out`, and copying happens only at a
    /// replacement and at the end. With `always_copy` false and no
    /// replacement, `out` is never touched, which is what lets `render`
    /// borrow.
    fn scan(
        &self,
        name: &str,
        input: &[u8],
        out: &mut Vec<u8>,
        always_copy: bool,
    ) -> Result<RenderSummary, RenderError> {
        let mut summary = RenderSummary::default();
        if self.options.binary == BinaryPolicy::Skip && Self::is_binary(input) {
            summary.binary = true;
            if always_copy {
                out.extend_from_slice(input);
            }
            return Ok(summary);
        }
        if always_copy {
            reserve_for(out, input);
        }
        let mut lines = LineTracker::default();
        let mut braces = false;
        let mut flushed = 0;
        let mut pos = 0;
        loop {
            // Once output is being written, scan and copy in steps of
            // COPY_STEP bytes, so each step is copied while the scan has
            // just brought it into L1, instead of reading long runs twice.
            let writing = always_copy || summary.changed();
            let window = if writing {
                input.len().min(pos + COPY_STEP)
            } else {
                input.len()
            };
            let Some(off) = self.find_open(&input[pos..window], &mut braces) else {
                if window == input.len() {
                    break;
                }
                // A `{{` may straddle the step's end: resume on its last byte.
                let next = window - 1;
                out.extend_from_slice(&input[flushed..next]);
                flushed = next;
                pos = next;
                continue;
            };
            let at = pos + off;
            match self.classify(input, at) {
                Hit::Known { value, end } => {
                    if !always_copy && !summary.changed() {
                        reserve_for(out, input);
                    }
                    out.extend_from_slice(&input[flushed..at]);
                    out.extend_from_slice(value);
                    summary.replaced += 1;
                    flushed = end;
                    pos = end;
                }
                Hit::Escaped { end } => {
                    if !always_copy && !summary.changed() {
                        reserve_for(out, input);
                    }
                    out.extend_from_slice(&input[flushed..at + 2]);
                    out.extend_from_slice(&input[at + 3..end]);
                    summary.escaped += 1;
                    flushed = end;
                    pos = end;
                }
                Hit::Unknown { name: range } => {
                    let placeholder = String::from_utf8_lossy(&input[range.clone()]).into_owned();
                    let (line, column) = lines.position(input, at);
                    match self.options.unknown {
                        UnknownPolicy::Strict => {
                            return Err(RenderError::UnknownPlaceholder {
                                file: name.to_string(),
                                line,
                                column,
                                declared: self.vars.is_unset(&placeholder),
                                placeholder,
                                known: self.vars.iter().map(|(k, _)| k.to_string()).collect(),
                            });
                        }
                        UnknownPolicy::Lenient => {
                            summary.left.push(LeftPlaceholder {
                                name: placeholder,
                                line,
                                column,
                            });
                            pos = range.end + 2;
                        }
                    }
                }
                Hit::Text => pos = at + 1,
            }
        }
        if always_copy || summary.changed() {
            out.extend_from_slice(&input[flushed..]);
        }
        Ok(summary)
    }

    /// The offset of the first `{{` in `hay`.
    ///
    /// While `*braces` is false, `memchr` for one `{`: its loop counts half
    /// the instructions of `memmem`'s two-byte search per byte
    /// (`docs/performance.md`), and in prose a `{` almost always starts a
    /// placeholder. The first lone `{` sets `*braces`: the text is
    /// brace-heavy (code, JSON), where `memchr` would stop at every brace,
    /// so from then on the render searches with `memmem`.
    #[inline]
    fn find_open(&self, hay: &[u8], braces: &mut bool) -> Option<usize> {
        if *braces {
            return self.open.find(hay);
        }
        let first = memchr::memchr(b'{', hay)?;
        match hay.get(first + 1) {
            Some(b'{') => Some(first),
            // At the end of `hay`: the caller resumes on this byte.
            None => None,
            Some(_) => {
                *braces = true;
                let rest = first + 1;
                self.open.find(&hay[rest..]).map(|off| rest + off)
            }
        }
    }

    /// Decides what the `{{` at `at` starts.
    ///
    /// Measured here (see `docs/performance.md`): an anchored aho-corasick
    /// automaton over `NAME}}` cost 30–55 µs to build for ten names — more
    /// than rendering 64 KiB — and a call per `{{`, which brace-heavy code
    /// has many of. The identifier scan is needed anyway to tell an unknown
    /// placeholder from text, so the known-name test is a lookup of the
    /// scanned name after it (`names.rs`), and most `{{` in code (followed
    /// by `{`, `}` or a space) are rejected on their first byte.
    fn classify(&self, input: &[u8], at: usize) -> Hit<'_> {
        let after = at + 2;
        let (start, escaped) = match input.get(after) {
            Some(&c) if is_ident_start(c) => (after, false),
            Some(b'\\') if input.get(after + 1).is_some_and(|&c| is_ident_start(c)) => {
                (after + 1, true)
            }
            _ => return Hit::Text,
        };
        let end = ident_end(input, start);
        // Two byte tests, not a slice comparison: that compiles to a memcmp
        // call, which was a sixth of all instructions (callgrind).
        if input.get(end) != Some(&b'}') || input.get(end + 1) != Some(&b'}') {
            return Hit::Text;
        }
        let found = self.index.get(&input[start..end]);
        match (found, escaped) {
            (Some(value), false) => Hit::Known {
                value,
                end: end + 2,
            },
            (Some(_), true) => Hit::Escaped { end: end + 2 },
            (None, false) => Hit::Unknown { name: start..end },
            (None, true) => Hit::Text,
        }
    }
}

/// How much input one step of the fused scan-and-copy covers (see `scan`).
/// Small enough to be copied while still in L1 (32 KiB here), and small
/// enough that each copy (at most 2,047 bytes) stays below glibc's
/// `rep movsb` threshold (2,048 bytes or more): with input and output at the
/// same page offset, `rep movsb` copies of 4 KiB and more ran at half speed
/// (4K aliasing), the vector loop below it did not (`docs/performance.md`).
const COPY_STEP: usize = 2 * 1024;

/// Sizes the output once: values are usually about as long as their
/// placeholders, so the input length plus a little slack avoids regrowth.
fn reserve_for(out: &mut Vec<u8>, input: &[u8]) {
    out.reserve(input.len() + input.len() / 16 + 64);
}

/// Computes 1-based line and column for increasing offsets without
/// rescanning from the start each time (lenient renders may report many).
#[derive(Default)]
struct LineTracker {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineTracker {
    fn position(&mut self, input: &[u8], at: usize) -> (usize, usize) {
        if at < self.offset {
            *self = LineTracker::default();
        }
        for nl in memchr::memchr_iter(b'\n', &input[self.offset..at]) {
            self.line += 1;
            self.line_start = self.offset + nl + 1;
        }
        self.offset = at;
        // A column counts characters: every byte that is not a UTF-8
        // continuation byte starts one.
        let column = input[self.line_start..at]
            .iter()
            .filter(|&&b| (b as i8) >= -0x40)
            .count();
        (self.line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VariableSpec;

    /// Placeholders (and a lone `{{`) at every offset around the ends of the
    /// scan-and-copy steps: none is missed or copied twice, whether the
    /// output was being written from the start (`render_into`) or only from
    /// the first replacement (`render`); and whether the search is still
    /// `memchr` for one `{` (no lone `{` yet) or has moved to `memmem`
    /// (after the lone `{` of `{{ x {`).
    #[test]
    fn placeholders_straddling_a_copy_step_are_found_once() {
        let vars = VariableSpec::open().validate([("A", "value")]).unwrap();
        let r = Renderer::new(&vars, RenderOptions::default()).unwrap();
        for (lead, tail) in [false, true]
            .into_iter()
            .flat_map(|lead| [(lead, &b"{{ x {"[..]), (lead, b"{{ x ")])
        {
            for shift in 0..8 {
                let mut input = Vec::new();
                let mut want = Vec::new();
                if lead {
                    input.extend_from_slice(b"{{A}}");
                    want.extend_from_slice(b"value");
                }
                for step in 1..=3 {
                    let fill = step * COPY_STEP - 5 + shift - input.len();
                    input.resize(input.len() + fill, b'.');
                    want.resize(want.len() + fill, b'.');
                    input.extend_from_slice(b"{{A}}");
                    input.extend_from_slice(tail);
                    want.extend_from_slice(b"value");
                    want.extend_from_slice(tail);
                }
                input.extend_from_slice(b"{{A}}");
                want.extend_from_slice(b"value");
                let mut out = b"pre".to_vec();
                let summary = r.render_into("f", &input, &mut out).unwrap();
                assert_eq!(summary.replaced, 4 + usize::from(lead), "shift {shift}");
                assert!(
                    out[3..] == want[..],
                    "render_into, shift {shift}, lead {lead}"
                );
                let cow = r.render("f", &input).unwrap();
                assert!(*cow == want[..], "render, shift {shift}, lead {lead}");
            }
        }
    }
}
