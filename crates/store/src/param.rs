//! Borrowed statement parameters ([`Param`]) bindable by both drivers, and
//! the `args!` macro that builds a list of them.

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use sea_query::Value;

/// A borrowed statement parameter, bindable by both drivers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Text(&'a str),
    OptText(Option<&'a str>),
    Bytes(&'a [u8]),
    /// A list of row ids bound as one parameter (see `Backend::in_id_list`).
    Ids(&'a [i64]),
    /// A value collected by sea-query (listing and facet filters).
    Value(&'a Value),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<Option<i64>> for Param<'_> {
    fn from(v: Option<i64>) -> Self {
        Param::OptInt(v)
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Param::OptText(v.as_deref())
    }
}
impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Param::OptText(v)
    }
}
impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Bytes(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Param::Bytes(v)
    }
}
impl<'a> From<&'a Value> for Param<'a> {
    fn from(v: &'a Value) -> Self {
        Param::Value(v)
    }
}

/// `args![a, b]`: a slice of [`Param`]s, each converted with `From`.
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::param::Param::from($e)),*][..]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Int(v) => ToSqlOutput::Owned(SqlValue::Integer(v)),
            Param::OptInt(v) => ToSqlOutput::Owned(v.map_or(SqlValue::Null, SqlValue::Integer)),
            Param::Bool(v) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(v))),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::OptText(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::OptText(None) => ToSqlOutput::Owned(SqlValue::Null),
            Param::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            // Read by the `rarray` table-valued function (Backend::in_id_list),
            // exactly as rusqlite binds its own `vtab::array::Array`.
            Param::Ids(ids) => {
                let list: rusqlite::vtab::array::Array =
                    std::rc::Rc::new(ids.iter().map(|&id| SqlValue::Integer(id)).collect());
                ToSqlOutput::from_rc(list, c"rarray")
            }
            Param::Value(v) => return crate::binder::sqlite(v),
        })
    }
}
