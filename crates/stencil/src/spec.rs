//! The variables every template accepts, and today's date for `DATE`.
//!
//! `today` lives here rather than in `stencil-render` so that the renderer
//! reads no clock and depends on no time-zone crate: an embedder of the
//! renderer alone supplies its own computed defaults (see
//! `docs/architecture.md`).

use crate::Error;
use crate::render::{VariableSpec, VariableSpecBuilder};
use crate::store::Template;

/// Today's local date as `YYYY-MM-DD`, the default of `DATE`.
///
/// Falls back to UTC when the local time zone cannot be determined.
///
/// ```
/// let date = stencil::today();
/// assert_eq!(date.len(), 10);
/// ```
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(local_zone())
        .date()
        .to_string()
}

/// The local time zone: on Unix with `TZ` unset, `/etc/localtime` read as
/// TZif data — the rules `TimeZone::system` finds there too, without first
/// listing all of `/usr/share/zoneinfo` to learn the zone's name, which a
/// date does not need (that walk was about 3 million instructions and 60
/// system calls, a third of a 10-file `stencil deploy`'s work; see
/// `docs/performance.md`). Anything else (a `TZ`, another platform, an
/// unreadable file) is jiff's own lookup, which falls back to UTC.
fn local_zone() -> jiff::tz::TimeZone {
    #[cfg(unix)]
    if std::env::var_os("TZ").is_none() {
        let zone = std::fs::read("/etc/localtime")
            .ok()
            .and_then(|data| jiff::tz::TimeZone::tzif("Local", &data).ok());
        if let Some(zone) = zone {
            return zone;
        }
    }
    jiff::tz::TimeZone::system()
}

/// The variables every template accepts, from the system stencil replaces:
/// `PROJECT_NAME` (required, not blank), `PROJECT_DESCRIPTION`, `AUTHOR`,
/// `ARCHITECTURE_DESCRIPTION` (optional), `DATE` (defaults to today,
/// `YYYY-MM-DD`).
///
/// A template's own declared variables extend (and may override) these.
pub fn base_spec() -> VariableSpecBuilder {
    VariableSpec::builder()
        .required("PROJECT_NAME")
        .optional("PROJECT_DESCRIPTION")
        .optional("AUTHOR")
        .optional("ARCHITECTURE_DESCRIPTION")
        .default_with("DATE", today)
}

/// The spec for `template`: [`base_spec`] extended by its declared variables.
///
/// # Errors
///
/// [`Error::Render`] when a declared name is not a valid variable name.
pub fn template_spec(template: &Template) -> Result<VariableSpec, Error> {
    let mut spec = base_spec();
    for var in &template.variables {
        spec = match (&var.default, var.required) {
            (Some(default), _) => spec.default_value(&var.name, default.clone()),
            (None, true) => spec.required(&var.name),
            (None, false) => spec.optional(&var.name),
        };
    }
    Ok(spec.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_an_iso_date() {
        let d = today();
        assert_eq!(d.len(), 10, "{d}");
        assert_eq!((&d[4..5], &d[7..8]), ("-", "-"), "{d}");
        assert_eq!(d.bytes().filter(|b| b.is_ascii_digit()).count(), 8, "{d}");
    }

    #[test]
    fn the_local_zone_has_the_system_zone_s_offsets() {
        // The same rules whichever way they were found: compared at both
        // solstices of several years, so summer time is covered too.
        let system = jiff::tz::TimeZone::system();
        let local = local_zone();
        for year in [1990, 2020, 2026, 2040] {
            for (month, day) in [(1, 15), (7, 15)] {
                let at = jiff::civil::date(year, month, day)
                    .at(12, 0, 0, 0)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp();
                assert_eq!(
                    local.to_offset(at),
                    system.to_offset(at),
                    "{year}-{month}-{day}"
                );
            }
        }
    }

    #[test]
    fn date_defaults_to_today_in_the_base_spec() {
        let vars = base_spec()
            .build()
            .and_then(|spec| spec.validate([("PROJECT_NAME", "p")]))
            .unwrap();
        assert_eq!(vars.get("DATE").map(str::len), Some(10));
    }
}
