//! Column targets: memory the caller owns (a numpy array, a C buffer) that a
//! read fills with a column's values from the core's threads. Each task writes
//! its rows at their final position in the read's output, right after decoding
//! them and in parallel with the other tasks, and hands on only the columns
//! that have no target. The caller's thread never copies column data.
//!
//! What lands in a target, row `i` of the read at element `i`:
//! - fixed-width types (integers, floats, dates, times, timestamps, durations):
//!   the Arrow value, native byte order, as wide as the type;
//! - bool: one byte, 0 or 1;
//! - a null: NaN for floats, `i64::MIN` (NaT for numpy and pandas) for
//!   timestamps and durations, 0 for every other type; its byte in the
//!   optional null mask becomes 1 and the optional counter counts it.

use crate::error::{Error, ErrorKind, Result};
use arrow::array::{Array, ArrayData};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Where one column of a read goes. The pointers are the caller's: see
/// [`crate::Connector::read_into`] for how long they must stay valid.
#[derive(Debug, Clone)]
pub struct ColumnTarget {
    /// The column's name in the read's output.
    pub column: String,
    /// `rows` values, contiguous, each as wide as the column's type (bool: one byte).
    pub values: *mut u8,
    /// Rows that `values` (and `null_mask`) hold: at least the rows the read emits.
    pub rows: u64,
    /// Null, or `rows` bytes, zero-filled by the caller: the byte of each null row is set to 1, no other is written.
    pub null_mask: *mut u8,
    /// Null, or a counter, zeroed by the caller, to which the column's nulls are added (8-byte aligned).
    pub null_count: *mut u64,
}

/// What a null becomes in a target.
#[derive(Debug, Clone, Copy)]
enum NullValue {
    Zero,
    NaN16,
    NaN32,
    NaN64,
    /// `i64::MIN`, which numpy and pandas read as NaT.
    NaT,
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    /// Values of this many bytes, copied as they are.
    Fixed { width: usize, null: NullValue },
    /// Arrow's packed bits, unpacked to one byte each.
    Bools,
}

/// One target, checked against the column it receives.
struct Bound {
    index: usize,
    name: String,
    layout: Layout,
    values: *mut u8,
    rows: u64,
    null_mask: *mut u8,
    null_count: *mut u64,
}

/// The targets of one read.
pub(crate) struct Targets {
    bound: Vec<Bound>,
    /// Columns without a target (indices into the decoded schema), which the stream still carries.
    rest: Vec<usize>,
    rest_schema: SchemaRef,
    /// True while the stream lives. A task writes holding it shared; dropping
    /// the stream takes it exclusively and clears it, so once the stream is
    /// gone no thread writes into the caller's memory, even a task that was
    /// still running.
    open: RwLock<bool>,
}

// The pointers are the caller's memory, valid until the stream is dropped (the
// contract of `read_into`); writes stop before that (`close`), and tasks write
// disjoint rows.
unsafe impl Send for Targets {}
unsafe impl Sync for Targets {}

fn layout_of(data_type: &DataType) -> Option<Layout> {
    use DataType::*;
    let fixed = |width, null| Some(Layout::Fixed { width, null });
    match data_type {
        Boolean => Some(Layout::Bools),
        Int8 | UInt8 => fixed(1, NullValue::Zero),
        Int16 | UInt16 => fixed(2, NullValue::Zero),
        Float16 => fixed(2, NullValue::NaN16),
        Int32 | UInt32 | Date32 | Time32(_) => fixed(4, NullValue::Zero),
        Float32 => fixed(4, NullValue::NaN32),
        Int64 | UInt64 | Date64 | Time64(_) => fixed(8, NullValue::Zero),
        Float64 => fixed(8, NullValue::NaN64),
        Timestamp(..) | Duration(_) => fixed(8, NullValue::NaT),
        _ => None,
    }
}

impl Targets {
    /// Binds `targets` to the columns of `schema` (what the read decodes), for a read of `rows` rows.
    pub(crate) fn new(schema: &SchemaRef, targets: Vec<ColumnTarget>, rows: u64) -> Result<Targets> {
        let mut bound: Vec<Bound> = Vec::with_capacity(targets.len());
        for target in targets {
            let name = target.column;
            let index = schema.index_of(&name).map_err(|_| {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                Error::invalid_argument(format!("column target '{name}': the read has no such column (its columns: {})", names.join(", ")))
            })?;
            if bound.iter().any(|b| b.index == index) {
                return Err(Error::invalid_argument(format!("column '{name}' has two targets")));
            }
            let data_type = schema.field(index).data_type();
            let layout = layout_of(data_type).ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "column '{name}' has type {data_type}, which has no fixed-width values to write into a target \
                         (targets take integers, floats, bools, dates, times, timestamps and durations)"
                    ),
                )
            })?;
            if target.values.is_null() {
                return Err(Error::invalid_argument(format!("column target '{name}': its values pointer is NULL")));
            }
            if target.rows < rows {
                return Err(Error::invalid_argument(format!(
                    "column target '{name}' holds {} rows, but the read emits {rows}",
                    target.rows
                )));
            }
            if !target.null_count.is_null() && !(target.null_count as usize).is_multiple_of(std::mem::align_of::<AtomicU64>()) {
                return Err(Error::invalid_argument(format!("column target '{name}': its null counter is not 8-byte aligned")));
            }
            bound.push(Bound {
                index,
                name,
                layout,
                values: target.values,
                rows: target.rows,
                null_mask: target.null_mask,
                null_count: target.null_count,
            });
        }
        let rest: Vec<usize> = (0..schema.fields().len()).filter(|i| !bound.iter().any(|b| b.index == *i)).collect();
        let rest_schema = Arc::new(schema.project(&rest).map_err(|e| Error::internal(e.to_string()))?);
        Ok(Targets { bound, rest, rest_schema, open: RwLock::new(true) })
    }

    /// The schema of what the stream still carries: the columns without a target.
    pub(crate) fn rest_schema(&self) -> SchemaRef {
        self.rest_schema.clone()
    }

    /// Writes the target columns of `batch`, rows `offset ..` of the read, and
    /// returns the batch's other columns.
    pub(crate) fn write(&self, offset: u64, batch: &RecordBatch) -> Result<RecordBatch> {
        let open = self.open.read().unwrap_or_else(|e| e.into_inner());
        if !*open {
            return Err(Error::internal("the stream was dropped while its rows were written"));
        }
        let rows = batch.num_rows() as u64;
        for target in &self.bound {
            if offset + rows > target.rows {
                return Err(Error::internal(format!(
                    "column '{}': rows {offset}..{} of the read do not fit its target of {} rows",
                    target.name,
                    offset + rows,
                    target.rows
                )));
            }
            // Safety: rows `offset .. offset + rows` are within the target (checked above), the
            // memory is valid while `open` is held, and no other task writes these rows.
            unsafe { target.write(offset as usize, &batch.column(target.index).to_data()) };
        }
        batch.project(&self.rest).map_err(|e| Error::internal(e.to_string()))
    }

    /// Waits for writes in progress, and lets no later one start.
    pub(crate) fn close(&self) {
        *self.open.write().unwrap_or_else(|e| e.into_inner()) = false;
    }
}

impl Bound {
    /// Writes `data` to rows `offset .. offset + data.len()`.
    ///
    /// Safety: those rows are within the target's memory, which is valid and written by no one else.
    unsafe fn write(&self, offset: usize, data: &ArrayData) {
        let len = data.len();
        match self.layout {
            Layout::Fixed { width, null } => {
                let source = &data.buffers()[0].as_slice()[data.offset() * width..(data.offset() + len) * width];
                let destination = unsafe { self.values.add(offset * width) };
                unsafe { std::ptr::copy_nonoverlapping(source.as_ptr(), destination, len * width) };
                self.mark_nulls(offset, data, |row| unsafe { write_null(destination.add(row * width), width, null) });
            }
            Layout::Bools => {
                let bits = BooleanBuffer::new(data.buffers()[0].clone(), data.offset(), len);
                let destination = unsafe { std::slice::from_raw_parts_mut(self.values.add(offset), len) };
                for (byte, bit) in destination.iter_mut().zip(bits.iter()) {
                    *byte = bit as u8;
                }
                self.mark_nulls(offset, data, |row| destination[row] = 0);
            }
        }
    }

    /// For each null of `data`: `fill(row)` (row within the batch), its mask byte, its count.
    fn mark_nulls(&self, offset: usize, data: &ArrayData, mut fill: impl FnMut(usize)) {
        let Some(nulls) = data.nulls().filter(|n| n.null_count() > 0) else { return };
        for (row, valid) in nulls.iter().enumerate() {
            if !valid {
                fill(row);
                if !self.null_mask.is_null() {
                    unsafe { *self.null_mask.add(offset + row) = 1 };
                }
            }
        }
        if !self.null_count.is_null() {
            // Safety: aligned (checked in `Targets::new`) and, by the contract, only ever accessed atomically while the stream lives.
            unsafe { AtomicU64::from_ptr(self.null_count) }.fetch_add(nulls.null_count() as u64, Ordering::Relaxed);
        }
    }
}

/// Safety: `at` is a value of `width` bytes.
unsafe fn write_null(at: *mut u8, width: usize, null: NullValue) {
    unsafe {
        match null {
            NullValue::Zero => at.write_bytes(0, width),
            NullValue::NaN16 => at.cast::<u16>().write_unaligned(0x7E00),
            NullValue::NaN32 => at.cast::<f32>().write_unaligned(f32::NAN),
            NullValue::NaN64 => at.cast::<f64>().write_unaligned(f64::NAN),
            NullValue::NaT => at.cast::<i64>().write_unaligned(i64::MIN),
        }
    }
}
