//! One file of a version being written to the store: Parquet is encoded on the
//! writing thread into this `std::io::Write`, which hashes the bytes as they
//! pass (SHA-256, for the manifest) and uploads them in parts while the
//! encoding goes on (a multipart upload; one put when the file is small).

use super::root::Root;
use crate::error::{Error, Result};
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use std::io::Write;
use std::sync::Arc;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Bytes per uploaded part (S3 wants at least 5 MiB but for the last).
const PART_BYTES: usize = 16 << 20;
/// Parts uploading at once per file: bounds the memory a slow store can hold up.
const PARTS_IN_FLIGHT: usize = 3;

pub struct ObjectFile {
    root: Root,
    /// Relative to the root.
    relative: String,
    runtime: Arc<Runtime>,
    buffer: Vec<u8>,
    upload: Option<Box<dyn MultipartUpload>>,
    parts: Vec<JoinHandle<object_store::Result<()>>>,
    digest: ring::digest::Context,
    bytes: u64,
    /// Set once the object exists (or is abandoned): nothing is left to abort on drop.
    done: bool,
}

/// What a written file is: its size and checksum.
pub struct Closed {
    pub bytes: u64,
    pub sha256: String,
}

impl ObjectFile {
    pub fn new(root: &Root, relative: String) -> Result<ObjectFile> {
        Ok(ObjectFile {
            root: root.clone(),
            relative,
            runtime: crate::runtime::runtime()?,
            buffer: Vec::with_capacity(PART_BYTES),
            upload: None,
            parts: Vec::new(),
            digest: ring::digest::Context::new(&ring::digest::SHA256),
            bytes: 0,
            done: false,
        })
    }

    fn failed(&self, err: &object_store::Error) -> Error {
        self.root.write_error(err, &self.relative)
    }

    /// Uploads the buffer as the next part (starting the upload first if needed).
    fn send_part(&mut self) -> Result<()> {
        if self.upload.is_none() {
            let (store, path) = (self.root.store()?, self.root.path(&self.relative));
            let started = self.runtime.block_on(async move { store.put_multipart(&path).await });
            self.upload = Some(started.map_err(|e| self.failed(&e))?);
        }
        while self.parts.len() >= PARTS_IN_FLIGHT {
            let oldest = self.parts.remove(0);
            self.wait(oldest)?;
        }
        let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART_BYTES));
        let part = self.upload.as_mut().expect("started above").put_part(PutPayload::from(data));
        self.parts.push(self.runtime.spawn(part));
        Ok(())
    }

    fn wait(&self, part: JoinHandle<object_store::Result<()>>) -> Result<()> {
        match self.runtime.block_on(part) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.failed(&e)),
            Err(e) => Err(Error::internal(format!("an upload of '{}' stopped: {e}", self.root.name_of(&self.relative)))),
        }
    }

    /// Finishes the object: the last part and the completion, or one put.
    pub fn close(mut self) -> Result<Closed> {
        match self.upload.take() {
            None => {
                let (store, path) = (self.root.store()?, self.root.path(&self.relative));
                let data = PutPayload::from(std::mem::take(&mut self.buffer));
                let put = self.runtime.block_on(async move { store.put(&path, data).await });
                put.map_err(|e| self.failed(&e))?;
            }
            Some(mut upload) => {
                if !self.buffer.is_empty() {
                    let data = PutPayload::from(std::mem::take(&mut self.buffer));
                    self.parts.push(self.runtime.spawn(upload.put_part(data)));
                }
                let parts = std::mem::take(&mut self.parts);
                let waited: Result<()> = parts.into_iter().try_for_each(|part| self.wait(part));
                if let Err(err) = waited {
                    self.runtime.spawn(async move { upload.abort().await });
                    return Err(err);
                }
                let completed = self.runtime.block_on(async move { upload.complete().await });
                completed.map_err(|e| self.failed(&e))?;
            }
        }
        self.done = true;
        let digest = std::mem::replace(&mut self.digest, ring::digest::Context::new(&ring::digest::SHA256)).finish();
        Ok(Closed { bytes: self.bytes, sha256: hex(digest.as_ref()) })
    }
}

impl Drop for ObjectFile {
    /// An abandoned upload is aborted (S3 would keep its parts; a local one its staging file).
    fn drop(&mut self) {
        if let (false, Some(mut upload)) = (self.done, self.upload.take()) {
            self.runtime.spawn(async move { upload.abort().await });
        }
    }
}

impl Write for ObjectFile {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.digest.update(data);
        self.bytes += data.len() as u64;
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= PART_BYTES {
            self.send_part().map_err(std::io::Error::other)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
