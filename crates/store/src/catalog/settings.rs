//! Named settings kept per catalogue, on either backend: small text values
//! that belong with the catalogue rather than with one machine (the
//! registries a catalogue trusts and the newest metadata seen of each).
//!
//! Statements are built at each call: settings are read and written a few
//! times per command, never in a hot path. Tested on both backends in
//! `tests/settings.rs`.

use sea_query::{Expr, ExprTrait, Iden, OnConflict, Order, Query};

use super::{Catalog, now_ms};
use crate::error::Result;
use crate::model::validate_name;
use crate::param::args;
use crate::queries::build::p;

#[derive(Iden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

impl Catalog {
    /// The value stored under `key`, if any. One statement.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let sql = self.backend().sql(
            Query::select()
                .column(Settings::Value)
                .from(Settings::Table)
                .and_where(Expr::col(Settings::Key).eq(p())),
        );
        self.with_conn(|c| c.query_opt(&sql, args![key], "reading a setting", |r| r.get(0)))
    }

    /// Stores `value` under `key`, replacing any previous value. One
    /// statement, in its own transaction.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        validate_name("setting key", key)?;
        let sql = self.backend().sql(
            Query::insert()
                .into_table(Settings::Table)
                .columns([Settings::Key, Settings::Value, Settings::UpdatedAt])
                .values_panic([p(), p(), p()])
                .on_conflict(
                    OnConflict::column(Settings::Key)
                        .update_columns([Settings::Value, Settings::UpdatedAt])
                        .to_owned(),
                ),
        );
        self.write(|c| {
            c.execute(&sql, args![key, value, now_ms()], "storing a setting")
                .map(|_| ())
        })
    }

    /// Stores `value` under `key` only if the stored value is still
    /// `expected` (`None`: no value stored); whether it was stored. One
    /// statement, in its own transaction: two writers that read the same
    /// value cannot both replace it, so a read-modify-write loop over this
    /// never loses an update (the registry rollback floor relies on it).
    ///
    /// ```
    /// let catalog = stencil_store::Catalog::open_in_memory()?;
    /// assert!(catalog.compare_and_set_setting("k", None, "1")?);
    /// assert!(!catalog.compare_and_set_setting("k", None, "2")?);
    /// assert!(catalog.compare_and_set_setting("k", Some("1"), "2")?);
    /// assert!(!catalog.compare_and_set_setting("k", Some("1"), "3")?);
    /// assert_eq!(catalog.setting("k")?.as_deref(), Some("2"));
    /// # Ok::<(), stencil_store::Error>(())
    /// ```
    pub fn compare_and_set_setting(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool> {
        validate_name("setting key", key)?;
        match expected {
            None => {
                let sql = self.backend().sql(
                    Query::insert()
                        .into_table(Settings::Table)
                        .columns([Settings::Key, Settings::Value, Settings::UpdatedAt])
                        .values_panic([p(), p(), p()])
                        .on_conflict(OnConflict::column(Settings::Key).do_nothing().to_owned()),
                );
                self.write(|c| {
                    c.execute(&sql, args![key, value, now_ms()], "storing a setting")
                        .map(|n| n > 0)
                })
            }
            Some(old) => {
                let sql = self.backend().sql(
                    Query::update()
                        .table(Settings::Table)
                        .values([(Settings::Value, p()), (Settings::UpdatedAt, p())])
                        .and_where(Expr::col(Settings::Key).eq(p()))
                        .and_where(Expr::col(Settings::Value).eq(p())),
                );
                self.write(|c| {
                    c.execute(
                        &sql,
                        args![value, now_ms(), key, old],
                        "replacing a setting",
                    )
                    .map(|n| n > 0)
                })
            }
        }
    }

    /// Removes `key`; whether it existed.
    pub fn remove_setting(&self, key: &str) -> Result<bool> {
        let sql = self.backend().sql(
            Query::delete()
                .from_table(Settings::Table)
                .and_where(Expr::col(Settings::Key).eq(p())),
        );
        self.write(|c| {
            c.execute(&sql, args![key], "removing a setting")
                .map(|n| n > 0)
        })
    }

    /// Every setting whose key starts with `prefix`, ordered by key. One
    /// statement (the prefix test is done here, not in SQL, so `%` and `_`
    /// in keys need no escaping).
    pub fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let sql = self.backend().sql(
            Query::select()
                .columns([Settings::Key, Settings::Value])
                .from(Settings::Table)
                .and_where(Expr::col(Settings::Key).gte(p()))
                .order_by(Settings::Key, Order::Asc),
        );
        let rows = self.with_conn(|c| {
            c.query_vec(&sql, args![prefix], "listing settings", |r| {
                Ok((r.get::<String>(0)?, r.get::<String>(1)?))
            })
        })?;
        Ok(rows
            .into_iter()
            .take_while(|(k, _)| k.starts_with(prefix))
            .collect())
    }
}
