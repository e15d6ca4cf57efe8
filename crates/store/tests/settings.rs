//! Catalogue settings (the registries a catalogue trusts live there), on
//! every available backend.

mod common;

use common::{PgModes, catalogs};
use stencil_store::Catalog;

#[test]
fn settings_round_trip_on_every_backend() {
    for t in catalogs("settings", PgModes::Triggers, Catalog::builder) {
        let catalog = &t.catalog;
        assert_eq!(catalog.setting("registry.a").unwrap(), None, "{}", t.name);
        catalog.set_setting("registry.a", "1").unwrap();
        catalog.set_setting("registry.b", "2").unwrap();
        catalog.set_setting("other", "3").unwrap();
        catalog.set_setting("registry.a", "4").unwrap();
        assert_eq!(catalog.setting("registry.a").unwrap().as_deref(), Some("4"));
        let listed = catalog.settings_with_prefix("registry.").unwrap();
        assert_eq!(
            listed,
            [
                (String::from("registry.a"), String::from("4")),
                (String::from("registry.b"), String::from("2"))
            ],
            "{}",
            t.name
        );
        // `%` and `_` are not wildcards.
        assert!(
            catalog
                .settings_with_prefix("registry%")
                .unwrap()
                .is_empty()
        );
        assert!(catalog.remove_setting("registry.a").unwrap());
        assert!(!catalog.remove_setting("registry.a").unwrap());
        assert!(catalog.set_setting("bad\nkey", "x").is_err());
    }
}

#[test]
fn compare_and_set_replaces_only_the_value_it_expects() {
    for t in catalogs("settings_cas", PgModes::Triggers, Catalog::builder) {
        let catalog = &t.catalog;
        assert!(catalog.compare_and_set_setting("cas.a", None, "1").unwrap());
        assert!(!catalog.compare_and_set_setting("cas.a", None, "x").unwrap());
        assert!(
            !catalog
                .compare_and_set_setting("cas.a", Some("0"), "x")
                .unwrap()
        );
        assert!(
            catalog
                .compare_and_set_setting("cas.a", Some("1"), "2")
                .unwrap()
        );
        assert_eq!(
            catalog.setting("cas.a").unwrap().as_deref(),
            Some("2"),
            "{}",
            t.name
        );
        assert!(
            !catalog
                .compare_and_set_setting("cas.b", Some("1"), "2")
                .unwrap()
        );
        assert_eq!(catalog.setting("cas.b").unwrap(), None);
    }
}
