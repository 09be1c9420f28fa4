//! One table -> its Parquet files, a batch of rows at a time.
//!
//! Input: a [`Table`], the [`Ctx`] its columns read, the partitioning and the
//! caller's file creator. Output: the files, complete, with the schema
//! version and the logtrace version in their key-value metadata.

use std::io::{self, Write};
use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::errors::ParquetError;
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema, SchemaRef};
use rayon::prelude::*;

use super::{Create, Ctx, Partition, Table, BATCH_ROWS, ROW_GROUP_ROWS, SCHEMA_VERSION};

/// What one table's writing gave.
pub struct TableWritten {
    pub rows: u64,
    pub files: Vec<String>,
}

/// The Arrow schema of a table.
pub fn schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| Field::new(c.name, c.kind.data_type(), c.nullable))
        .collect();
    Arc::new(Schema::new(fields))
}

/// The writer settings every file shares.
fn properties(table: &Table) -> WriterProperties {
    let meta = vec![
        KeyValue::new("schema_version".into(), SCHEMA_VERSION.to_string()),
        KeyValue::new(
            "logtrace_version".into(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        KeyValue::new("logtrace_table".into(), table.name.to_owned()),
    ];
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(meta))
        .build()
}

/// Writes `table` (see the module doc).
pub fn table(
    cx: &Ctx,
    table: &Table,
    partition: Partition,
    create: Create,
) -> io::Result<TableWritten> {
    let n = (table.rows)(cx);
    let schema = schema(table);
    let mut files = Vec::new();
    match partition {
        Partition::None => {
            let rel = format!("{}/part-0.parquet", table.name);
            let mut rows = Vec::with_capacity(BATCH_ROWS.min(n));
            let mut w = open(create, &rel, &schema, table)?;
            for lo in (0..n).step_by(BATCH_ROWS) {
                rows.clear();
                rows.extend(lo as u32..(lo + BATCH_ROWS).min(n) as u32);
                w.write(&batch(cx, table, &schema, &rows)?)
                    .map_err(io_error)?;
            }
            close(w)?;
            files.push(rel);
        }
        Partition::Hour => {
            let (order, keys) = by_hour(cx, table, n);
            for part in order.chunk_by(|a, b| keys[*a as usize] == keys[*b as usize]) {
                let rel = format!(
                    "{}/{}/part-0.parquet",
                    table.name,
                    hour_folder(keys[part[0] as usize])
                );
                let mut w = open(create, &rel, &schema, table)?;
                for rows in part.chunks(BATCH_ROWS) {
                    w.write(&batch(cx, table, &schema, rows)?)
                        .map_err(io_error)?;
                }
                close(w)?;
                files.push(rel);
            }
        }
    }
    Ok(TableWritten {
        rows: n as u64,
        files,
    })
}

/// The rows of `table` in hour order (rows without a time last), each hour
/// in row order, and each row's hour (`None` as `i64::MAX`).
fn by_hour(cx: &Ctx, table: &Table, n: usize) -> (Vec<u32>, Vec<i64>) {
    const HOUR_NS: i64 = 3_600_000_000_000;
    let keys: Vec<i64> = (0..n as u32)
        .into_par_iter()
        .map(|r| (table.time_ns)(cx, r).map_or(i64::MAX, |t| t.div_euclid(HOUR_NS)))
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by_key(|&r| (keys[r as usize], r));
    (order, keys)
}

/// `date=2026-11-24/hour=13` for an hour since the epoch; rows without a
/// time go where hive-style readers read a null.
pub fn hour_folder(hour: i64) -> String {
    const NULL: &str = "__HIVE_DEFAULT_PARTITION__";
    match jiff::Timestamp::from_second(hour.saturating_mul(3_600)) {
        Ok(t) if hour != i64::MAX => t.strftime("date=%Y-%m-%d/hour=%H").to_string(),
        _ => format!("date={NULL}/hour={NULL}"),
    }
}

/// One batch: every column built for `rows`, the columns in parallel.
fn batch(cx: &Ctx, table: &Table, schema: &SchemaRef, rows: &[u32]) -> io::Result<RecordBatch> {
    let arrays: Vec<ArrayRef> = table
        .columns
        .par_iter()
        .map(|c| (c.build)(cx, rows))
        .collect();
    RecordBatch::try_new(schema.clone(), arrays).map_err(io::Error::other)
}

type Writer = ArrowWriter<Box<dyn Write + Send>>;

fn open(create: Create, rel: &str, schema: &SchemaRef, table: &Table) -> io::Result<Writer> {
    let file = create(rel)?;
    ArrowWriter::try_new(file, schema.clone(), Some(properties(table))).map_err(io_error)
}

fn close(w: Writer) -> io::Result<()> {
    let mut file = w.into_inner().map_err(io_error)?;
    file.flush()
}

/// The writer's error as an I/O error: the one the file gave (a full disk
/// stays a full disk), else the writer's message.
fn io_error(e: ParquetError) -> io::Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => *io,
            Err(other) => io::Error::other(other),
        },
        e => io::Error::other(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_name_their_folder() {
        // 2026-11-24T13:00:00Z
        assert_eq!(hour_folder(1_795_525_200 / 3600), "date=2026-11-24/hour=13");
        assert_eq!(hour_folder(-1), "date=1969-12-31/hour=23");
        assert!(hour_folder(i64::MAX).contains("__HIVE_DEFAULT_PARTITION__"));
    }
}
