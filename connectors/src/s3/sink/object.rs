//! One object being written: its bytes go up in parts as they grow, and it appears in the
//! bucket whole when completed. Every step can be retried after a failure without losing or
//! repeating bytes.

use std::collections::VecDeque;

use bytes::Bytes;
use weir_connector_api::{ConnectError, SinkRecord};

use crate::s3::format::Encoder;
use crate::s3::store::{Store, UploadedPart};

/// A multipart upload in progress.
struct Multipart {
    id: String,
    parts: Vec<UploadedPart>,
}

/// An object being written.
pub struct OpenObject {
    key: String,
    /// `None` once the format has ended the object.
    encoder: Option<Encoder>,
    /// Bytes taken from the encoder that S3 has not acknowledged yet, in order.
    unsent: VecDeque<Bytes>,
    upload: Option<Multipart>,
}

impl OpenObject {
    /// A new object under `key`.
    pub fn new(key: String, encoder: Encoder) -> OpenObject {
        OpenObject {
            key,
            encoder: Some(encoder),
            unsent: VecDeque::new(),
            upload: None,
        }
    }

    /// The object's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Adds a record.
    pub fn append(&mut self, record: &SinkRecord) -> Result<(), ConnectError> {
        match &mut self.encoder {
            Some(encoder) => encoder.append(record),
            None => Err(ConnectError::Fatal(format!("{} is already complete", self.key))),
        }
    }

    /// The bytes held in memory.
    pub fn buffered(&self) -> usize {
        self.encoder.as_ref().map_or(0, Encoder::buffered) + self.unsent.iter().map(Bytes::len).sum::<usize>()
    }

    /// Uploads what the encoder holds once it fills a part.
    pub async fn send_parts(&mut self, store: &Store, part_size: usize) -> Result<(), ConnectError> {
        if self.unsent.is_empty()
            && let Some(part) = self.encoder.as_mut().and_then(|e| e.take_part(part_size))
        {
            self.unsent.push_back(Bytes::from(part));
        }
        while let Some(part) = self.unsent.front() {
            let upload = match &mut self.upload {
                Some(upload) => upload,
                None => {
                    let id = store.start_upload(&self.key).await?;
                    self.upload.insert(Multipart { id, parts: Vec::new() })
                }
            };
            let number = i32::try_from(upload.parts.len() + 1).unwrap_or(i32::MAX);
            let uploaded = store.upload_part(&self.key, &upload.id, number, part.clone()).await?;
            upload.parts.push(uploaded);
            self.unsent.pop_front();
        }
        Ok(())
    }

    /// Ends the object and makes it appear in the bucket: one `PUT` when it fits a part, else
    /// the remaining parts and the completion of its multipart upload.
    pub async fn complete(&mut self, store: &Store, part_size: usize) -> Result<(), ConnectError> {
        self.send_parts(store, part_size).await?;
        if let Some(encoder) = self.encoder.take() {
            // Ending a Parquet object encodes all of it: off the async threads.
            let rest = tokio::task::spawn_blocking(move || encoder.finish())
                .await
                .map_err(|e| ConnectError::Fatal(format!("encoding {}: {e}", self.key)))??;
            let rest = Bytes::from(rest);
            if self.upload.is_none() && rest.len() <= part_size {
                self.unsent.push_back(rest);
            } else {
                let mut start = 0;
                while start < rest.len() {
                    let end = (start + part_size).min(rest.len());
                    self.unsent.push_back(rest.slice(start..end));
                    start = end;
                }
            }
        }
        match &self.upload {
            None if self.unsent.len() <= 1 => {
                let body = self.unsent.front().cloned().unwrap_or_default();
                store.put(&self.key, body).await?;
                self.unsent.clear();
            }
            _ => {
                self.send_parts(store, part_size).await?;
                if let Some(upload) = &self.upload {
                    store.complete_upload(&self.key, &upload.id, &upload.parts).await?;
                }
            }
        }
        Ok(())
    }

    /// Gives the object up: a started upload is aborted, so no part lingers.
    pub async fn abandon(self, store: &Store) {
        if let Some(upload) = self.upload {
            store.abort_upload(&self.key, &upload.id).await;
        }
    }
}
