//! Binds sea-query values as rusqlite parameters.
//!
//! Why not `sea-query-rusqlite`: it pins an older rusqlite, and
//! `libsqlite3-sys` may appear only once in a dependency graph, so depending
//! on it would lock every user of this crate out of current rusqlite. Switch
//! back to it once a release of `sea-query-rusqlite` depends on the rusqlite
//! pinned in the workspace (0.41 at the time of writing); the tests below then
//! serve as its acceptance tests.

#[cfg(test)]
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use sea_query::{OptionEnum, Value};

/// A borrowed sea-query value that rusqlite can bind (the tests bind
/// built statements' values with it; the catalogue goes through
/// `conn::Param`, which calls [`sqlite`]).
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Bind<'a>(pub(crate) &'a Value);

#[cfg(test)]
impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        sqlite(self.0)
    }
}

/// A sea-query value as a rusqlite parameter, borrowing its text and bytes.
pub(crate) fn sqlite(value: &Value) -> rusqlite::Result<ToSqlOutput<'_>> {
    {
        fn int(v: Option<i64>) -> ToSqlOutput<'static> {
            ToSqlOutput::Owned(v.map_or(SqlValue::Null, SqlValue::Integer))
        }
        Ok(match value {
            Value::Bool(v) => int(v.map(i64::from)),
            Value::TinyInt(v) => int(v.map(i64::from)),
            Value::SmallInt(v) => int(v.map(i64::from)),
            Value::Int(v) => int(v.map(i64::from)),
            Value::BigInt(v) => int(*v),
            Value::TinyUnsigned(v) => int(v.map(i64::from)),
            Value::SmallUnsigned(v) => int(v.map(i64::from)),
            Value::Unsigned(v) => int(v.map(i64::from)),
            Value::BigUnsigned(None) => int(None),
            Value::BigUnsigned(Some(v)) => {
                // SQLite integers are signed 64-bit: refuse rather than wrap.
                let v = i64::try_from(*v)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                int(Some(v))
            }
            Value::Float(v) => {
                ToSqlOutput::Owned(v.map_or(SqlValue::Null, |f| SqlValue::Real(f64::from(f))))
            }
            Value::Double(v) => ToSqlOutput::Owned(v.map_or(SqlValue::Null, SqlValue::Real)),
            Value::String(None) | Value::Char(None) | Value::Bytes(None) => {
                ToSqlOutput::Owned(SqlValue::Null)
            }
            Value::String(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Char(Some(c)) => ToSqlOutput::Owned(SqlValue::Text(c.to_string())),
            Value::Bytes(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Enum(OptionEnum::Some(e)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(e.value.as_bytes()))
            }
            Value::Enum(OptionEnum::None(_)) => ToSqlOutput::Owned(SqlValue::Null),
            // Other crates in a build may switch on sea-query features (json,
            // chrono, uuid, …) that add variants; this crate never produces
            // them, so binding one is a programming error reported as such.
            #[allow(unreachable_patterns)]
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("stencil-store cannot bind sea-query value {other:?}").into(),
                ));
            }
        })
    }
}

/// Borrows a sea-query value as a `postgres` parameter.
///
/// `sea-query-postgres` 0.6 fits sea-query 1.0, but it binds owned `Values`
/// while the catalogue binds borrowed `Param`s (`param.rs`) (fixed
/// statements build no sea-query value at all); only the listing filters
/// arrive here, as strings and 64-bit integers. Every column the catalogue
/// binds is `BIGINT`, `TEXT`, `BYTEA` or `BOOLEAN`, and the driver checks the
/// Rust type against the column type, so a mismatch is an error naming both.
#[cfg(feature = "postgres")]
pub(crate) fn pg(v: &Value) -> crate::error::Result<&(dyn postgres::types::ToSql + Sync)> {
    Ok(match v {
        Value::Bool(v) => v,
        Value::SmallInt(v) => v,
        Value::Int(v) => v,
        Value::BigInt(v) => v,
        Value::Float(v) => v,
        Value::Double(v) => v,
        Value::String(v) => v,
        Value::Bytes(v) => v,
        other => {
            return Err(crate::error::Error::invalid(
                "bound value",
                &format!("{other:?}"),
                "stencil-store binds only booleans, integers, floats, text and bytes",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Borrows a slice of values as rusqlite parameters, in order.
    fn params(values: &[Value]) -> impl rusqlite::Params + '_ {
        rusqlite::params_from_iter(values.iter().map(Bind))
    }
    use sea_query::{Expr, ExprTrait, Query, SqliteQueryBuilder};

    /// Round-trips a value through SQLite and returns what came back.
    fn round_trip(v: Value) -> rusqlite::Result<SqlValue> {
        let conn = Connection::open_in_memory()?;
        conn.query_row("SELECT ?1", params(std::slice::from_ref(&v)), |r| r.get(0))
    }

    #[test]
    fn every_produced_variant_binds_to_the_expected_sqlite_value() {
        let cases: Vec<(Value, SqlValue)> = vec![
            (Value::Bool(Some(true)), SqlValue::Integer(1)),
            (Value::TinyInt(Some(-3)), SqlValue::Integer(-3)),
            (Value::SmallInt(Some(-300)), SqlValue::Integer(-300)),
            (
                Value::Int(Some(i32::MIN)),
                SqlValue::Integer(i64::from(i32::MIN)),
            ),
            (Value::BigInt(Some(i64::MAX)), SqlValue::Integer(i64::MAX)),
            (Value::TinyUnsigned(Some(255)), SqlValue::Integer(255)),
            (Value::SmallUnsigned(Some(65535)), SqlValue::Integer(65535)),
            (
                Value::Unsigned(Some(u32::MAX)),
                SqlValue::Integer(i64::from(u32::MAX)),
            ),
            (Value::BigUnsigned(Some(7)), SqlValue::Integer(7)),
            (Value::Float(Some(1.5)), SqlValue::Real(1.5)),
            (Value::Double(Some(-2.25)), SqlValue::Real(-2.25)),
            (
                Value::String(Some("héllo".into())),
                SqlValue::Text("héllo".into()),
            ),
            (Value::Char(Some('x')), SqlValue::Text("x".into())),
            (
                Value::Bytes(Some(vec![0, 1, 255])),
                SqlValue::Blob(vec![0, 1, 255]),
            ),
            (Value::Int(None), SqlValue::Null),
            (Value::String(None), SqlValue::Null),
            (Value::Bytes(None), SqlValue::Null),
        ];
        for (input, expected) in cases {
            let got = round_trip(input.clone()).unwrap();
            assert_eq!(got, expected, "binding {input:?}");
        }
    }

    #[test]
    fn big_unsigned_beyond_i64_is_an_error_not_a_wrap() {
        let err = round_trip(Value::BigUnsigned(Some(u64::MAX))).unwrap_err();
        assert!(
            matches!(err, rusqlite::Error::ToSqlConversionFailure(_)),
            "{err}"
        );
    }

    #[test]
    fn a_built_statement_runs_with_its_values_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'y');")
            .unwrap();
        let (sql, values) = Query::select()
            .expr(Expr::col("a"))
            .from("t")
            .and_where(Expr::col("b").eq("y"))
            .and_where(Expr::col("a").gt(2))
            .build(SqliteQueryBuilder);
        let got: Vec<i64> = conn
            .prepare(&sql)
            .unwrap()
            .query_map(params(&values.0), |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(got, vec![3]);
    }

    /// Values a listing filter binds, round-tripped through PostgreSQL
    /// (needs a server, see `pg_test_target`).
    #[cfg(feature = "postgres")]
    #[test]
    fn filter_values_round_trip_through_postgres() {
        let Some(target) = crate::pg_test_target::pg_test_target("PostgreSQL binder test") else {
            return;
        };
        let mut client = postgres::Client::connect(&target, postgres::NoTls).unwrap();
        let text = Value::String(Some("héllo".into()));
        let big = Value::BigInt(Some(i64::MIN));
        let bytes = Value::Bytes(Some(vec![0, 255]));
        let flag = Value::Bool(Some(true));
        let row = client
            .query_one(
                "SELECT $1::text, $2::bigint, $3::bytea, $4::boolean",
                &[
                    pg(&text).unwrap(),
                    pg(&big).unwrap(),
                    pg(&bytes).unwrap(),
                    pg(&flag).unwrap(),
                ],
            )
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "héllo");
        assert_eq!(row.get::<_, i64>(1), i64::MIN);
        assert_eq!(row.get::<_, Vec<u8>>(2), vec![0, 255]);
        assert!(row.get::<_, bool>(3));
        // An i32 for a bigint column is refused by the driver, not truncated.
        let small = Value::Int(Some(7));
        assert!(
            client
                .query_one("SELECT $1::bigint", &[pg(&small).unwrap()])
                .is_err()
        );
        assert!(pg(&Value::BigUnsigned(Some(1))).is_err());
    }
}
