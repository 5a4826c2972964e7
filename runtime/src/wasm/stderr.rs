//! A plugin's standard error: the last bytes it wrote, kept to explain a crash. Writes never
//! fail, however much the plugin writes; older bytes give way.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use crate::sync::lock;

/// How many of the last bytes are kept.
const KEPT: usize = 16 * 1024;

/// The tail of what a plugin wrote to standard error.
#[derive(Clone, Default)]
pub struct StderrTail {
    bytes: Arc<Mutex<VecDeque<u8>>>,
}

impl StderrTail {
    /// What was kept, as text.
    pub fn contents(&self) -> String {
        let bytes = lock(&self.bytes);
        let (front, back) = bytes.as_slices();
        let mut all = front.to_vec();
        all.extend_from_slice(back);
        String::from_utf8_lossy(&all).trim().to_owned()
    }
}

impl AsyncWrite for StderrTail {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let mut bytes = lock(&self.bytes);
        bytes.extend(buf.iter().rev().take(KEPT).rev());
        let excess = bytes.len().saturating_sub(KEPT);
        bytes.drain(..excess);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for StderrTail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrTail {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn keeps_the_last_bytes_and_never_refuses_a_write() {
        let tail = StderrTail::default();
        let mut writer = tail.clone();
        for _ in 0..100 {
            writer.write_all(&[b'x'; 1024]).await.expect("write");
        }
        writer.write_all(b"panicked at the end").await.expect("write");
        let kept = tail.contents();
        assert_eq!(kept.len(), KEPT);
        assert!(kept.ends_with("panicked at the end"));
    }
}
