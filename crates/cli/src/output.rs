//! What a command prints: one JSON document or human text on stdout,
//! progress and warnings on stderr.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::Value;

/// The result of a command: the same facts as JSON and as text.
#[derive(Debug)]
pub struct Output {
    /// The `--json` document.
    pub json: Value,
    /// The text printed without `--json` (may be empty).
    pub human: String,
}

impl Output {
    /// An output from any serialisable value and its text form.
    pub fn new(json: impl Serialize, human: impl Into<String>) -> Output {
        Output {
            // Serialising our own plain structs cannot fail; `Null` keeps
            // the "one document on stdout" promise even if it did.
            json: serde_json::to_value(json).unwrap_or(Value::Null),
            human: human.into(),
        }
    }

    /// Prints the output on stdout.
    pub fn print(&self, json: bool) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if json {
            serde_json::to_writer_pretty(&mut out, &self.json)?;
            out.write_all(b"\n")?;
        } else if !self.human.is_empty() {
            out.write_all(self.human.as_bytes())?;
            if !self.human.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        }
        out.flush()
    }
}

/// How this process may decorate stderr.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Progress bars are drawn (stderr is a terminal and not `--json`).
    pub progress: bool,
    /// ANSI colours are allowed (stderr is a terminal and `NO_COLOR` unset).
    pub color: bool,
}

impl Style {
    /// Decides from the environment and the `--json` flag.
    pub fn detect(json: bool) -> Style {
        let terminal = io::stderr().is_terminal();
        // https://no-color.org: any non-empty value disables colour.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            progress: terminal && !json,
            color: terminal && !no_color,
        }
    }

    /// A progress bar over `len` steps, hidden unless progress is allowed.
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let template = if self.color {
            "{msg:>10} [{bar:30.cyan/blue}] {pos}/{len}"
        } else {
            "{msg:>10} [{bar:30}] {pos}/{len}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        // A bar whose length is not known yet stays invisible until
        // `show` is called with one.
        let target = if len == 0 {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target)
            .with_style(style)
            .with_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// Gives a bar made with length 0 its length and makes it visible.
    pub fn show(&self, bar: &ProgressBar, len: u64) {
        if self.progress {
            bar.set_length(len);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// The `error:` prefix, red when colour is allowed.
    pub fn error_prefix(&self) -> &'static str {
        if self.color {
            "\x1b[1;31merror:\x1b[0m"
        } else {
            "error:"
        }
    }

    /// The `warning:` prefix, yellow when colour is allowed.
    pub fn warning_prefix(&self) -> &'static str {
        if self.color {
            "\x1b[1;33mwarning:\x1b[0m"
        } else {
            "warning:"
        }
    }
}

/// Formats a byte count for people: `512 B`, `12.0 KiB`, `3.4 MiB`.
pub fn human_bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

/// `word` as one word for a POSIX shell: as is when it holds only safe
/// characters, else in single quotes (a `'` inside written `'\''`).
pub fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.,:/=+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `n thing` or `n things` (`entity` → `entities`).
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else if let Some(stem) = thing.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_read_well() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(2, "file"), "2 files");
        assert_eq!(count(0, "entity"), "0 entities");
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 400 * 1024), "3.4 MiB");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("skill"), "skill");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn json_output_is_one_document() {
        let out = Output::new(serde_json::json!({"a": 1}), "a is 1");
        assert_eq!(out.json["a"], 1);
        assert_eq!(out.human, "a is 1");
    }
}
