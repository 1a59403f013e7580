//! Bulk transfer of a tenant's customers: `custodian import` reads a JSON Lines or CSV file (see
//! [`format`]), validates each record with the API's rules and imports the good ones in batches
//! (one transaction each); `custodian export` writes the tenant's customers in the same formats.
//!
//! The file is read and validated on a blocking thread while the previous batch is written, so
//! parsing and the database overlap. Re-running an import skips every customer whose external id
//! the tenant has already, so an interrupted import resumes where it stopped.

pub mod format;

use custodian_app::{AppError, AppResult, TransferService};
use custodian_domain::{CustomerId, TenantId};
use custodian_store::transfer::ImportCustomer;
use format::{FileError, Format, Item, RecordReader, RecordWriter, Rejection};
use std::future::Future;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

/// Customers per transaction.
pub const DEFAULT_BATCH: usize = 2_000;

/// Why a transfer stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{path}: {source}")]
    File { path: PathBuf, source: FileError },
    #[error("{0}")]
    App(#[from] AppError),
}

/// How far a transfer is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Bytes of the input read so far and in all (import only; 0 when unknown).
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub imported: u64,
    pub skipped: u64,
    pub rejected: u64,
    /// Customers written (export).
    pub exported: u64,
    pub elapsed: Duration,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub progress: Progress,
    /// Where the rejected records are listed, when there were any.
    pub rejects: Option<PathBuf>,
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub tenant: TenantId,
    pub format: Format,
    /// Also write a `customer.created` event per customer (webhooks, NATS).
    pub events: bool,
    pub batch: usize,
    /// Where rejected records go (CSV: line, field, reason).
    pub rejects: PathBuf,
    /// Where to list the imported customers' ids (CSV: externalId, id), if anywhere.
    pub ids: Option<PathBuf>,
}

/// The default reject file of an input: `<input>.rejects.csv`.
pub fn default_rejects(input: &Path) -> PathBuf {
    let mut name = input.file_name().unwrap_or_default().to_os_string();
    name.push(".rejects.csv");
    input.with_file_name(name)
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What the reading thread hands over: a batch of valid customers with their lines, and the
/// rejections met since the previous batch.
struct Batch {
    customers: Vec<ImportCustomer>,
    rejected: Vec<Rejection>,
}

/// Imports `path` into `opts.tenant`; `progress` is called after every batch. Rejected records
/// are written to `opts.rejects` (created only when there are any; an older file of that name is
/// removed first).
pub async fn import_file(
    service: &TransferService,
    path: &Path,
    opts: &ImportOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<ImportSummary, TransferError> {
    let file_error = |source: FileError| TransferError::File { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(|e| file_error(e.into()))?;
    let bytes_total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let count = Arc::new(AtomicU64::new(0));
    let reader =
        RecordReader::new(Counted { inner: file, count: count.clone() }, opts.format, service.today()).map_err(file_error)?;
    match std::fs::remove_file(&opts.rejects) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(TransferError::File { path: opts.rejects.clone(), source: e.into() }),
    }
    let ctx = TransferService::import_context(opts.tenant, &path.file_name().unwrap_or_default().to_string_lossy());

    // Read and validate on a blocking thread, two batches ahead of the writer at most.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, FileError>>(2);
    let size = opts.batch.max(1);
    let reading = tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let mut batch = Batch { customers: Vec::with_capacity(size), rejected: Vec::new() };
        loop {
            match reader.next_item() {
                Ok(Some(Item::Customer { customer, .. })) => batch.customers.push(customer),
                Ok(Some(Item::Rejected(r))) => batch.rejected.push(r),
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            if batch.customers.len() >= size || batch.rejected.len() >= size {
                let full = std::mem::replace(&mut batch, Batch { customers: Vec::with_capacity(size), rejected: Vec::new() });
                if tx.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        let _ = tx.blocking_send(Ok(batch));
    });

    let started = Instant::now();
    let mut p = Progress { bytes_total, ..Progress::default() };
    let mut rejects: Option<csv::Writer<std::fs::File>> = None;
    let ids_error = |e: csv::Error| TransferError::File {
        path: opts.ids.clone().unwrap_or_default(),
        source: std::io::Error::other(e).into(),
    };
    let mut ids_out = match &opts.ids {
        Some(path) => {
            let mut w = csv::Writer::from_path(path).map_err(ids_error)?;
            w.write_record(["externalId", "id"]).map_err(ids_error)?;
            Some(w)
        }
        None => None,
    };
    let reject_error = |e: std::io::Error| TransferError::File { path: opts.rejects.clone(), source: e.into() };
    // One batch is handed to the store while the one before it is still being written and made
    // durable, so that the writer goes on with the next batch while the disk syncs the previous
    // one instead of waiting for this loop (alternating runs at 1,000,000 customers: see the README).
    let mut in_flight: Option<InFlight<'_>> = None;
    loop {
        let next = match rx.recv().await {
            Some(Ok(batch)) => {
                if !batch.rejected.is_empty() {
                    if rejects.is_none() {
                        let mut w = csv::Writer::from_path(&opts.rejects).map_err(|e| reject_error(std::io::Error::other(e)))?;
                        w.write_record(["line", "field", "reason"]).map_err(|e| reject_error(std::io::Error::other(e)))?;
                        rejects = Some(w);
                    }
                    let w = rejects.as_mut().expect("opened above");
                    for r in &batch.rejected {
                        w.write_record([r.line.to_string().as_str(), &r.field, &r.reason])
                            .map_err(|e| reject_error(std::io::Error::other(e)))?;
                    }
                    p.rejected += batch.rejected.len() as u64;
                }
                let externals: Vec<Option<String>> = if ids_out.is_some() {
                    batch.customers.iter().map(|c| c.external_id.as_ref().map(|e| e.as_str().to_owned())).collect()
                } else {
                    Vec::new()
                };
                Ok(Some(InFlight::start(Box::pin(service.import_batch(&ctx, batch.customers, opts.events)), externals).await))
            }
            Some(Err(e)) => Err(file_error(e)),
            None => Ok(None),
        };
        if let Some(previous) = in_flight.take() {
            let (answer, externals) = previous.finish().await;
            let ids = match answer {
                Ok(ids) => ids,
                Err(e) => {
                    // The batch handed over after the failed one is answered before the error is
                    // returned (an error writing the reject or ids file returns at once instead).
                    if let Ok(Some(following)) = next {
                        let _ = following.finish().await;
                    }
                    return Err(e.into());
                }
            };
            if let Some(w) = ids_out.as_mut() {
                for (external, id) in externals.iter().zip(&ids) {
                    if let Some(id) = id {
                        w.write_record([external.as_deref().unwrap_or(""), id.0.to_string().as_str()]).map_err(ids_error)?;
                    }
                }
            }
            let imported = ids.iter().filter(|i| i.is_some()).count() as u64;
            p.imported += imported;
            p.skipped += ids.len() as u64 - imported;
            p.bytes_read = count.load(Ordering::Relaxed);
            p.elapsed = started.elapsed();
            progress(&p);
        }
        match next? {
            Some(started) => in_flight = Some(started),
            None => break,
        }
    }
    let _ = reading.await;
    if let Some(mut w) = rejects {
        w.flush().map_err(reject_error)?;
    }
    if let Some(mut w) = ids_out {
        w.flush().map_err(|e| ids_error(e.into()))?;
    }
    p.bytes_read = count.load(Ordering::Relaxed);
    p.elapsed = started.elapsed();
    Ok(ImportSummary { progress: p, rejects: (p.rejected > 0).then(|| opts.rejects.clone()) })
}

/// What the store answers for an import batch.
type BatchAnswer<'a> = Pin<Box<dyn Future<Output = AppResult<Vec<Option<CustomerId>>>> + 'a>>;

/// An import batch handed to the store and not answered yet, with the external ids of its
/// customers (for the ids file).
struct InFlight<'a> {
    answer: BatchAnswer<'a>,
    /// The answer, if the store gave it at once.
    ready: Option<AppResult<Vec<Option<CustomerId>>>>,
    externals: Vec<Option<String>>,
}

impl<'a> InFlight<'a> {
    /// Polls the batch once: that hands it to the store, behind the batches started before it.
    /// Batches are written in the order they are started: SQLite's writer takes them off one
    /// queue, and the other stores write one import batch at a time, in the order they asked
    /// (`import_turn`), so the customers' ids follow the file.
    async fn start(mut answer: BatchAnswer<'a>, externals: Vec<Option<String>>) -> InFlight<'a> {
        let ready = std::future::poll_fn(|cx| {
            Poll::Ready(match answer.as_mut().poll(cx) {
                Poll::Ready(done) => Some(done),
                Poll::Pending => None,
            })
        })
        .await;
        InFlight { answer, ready, externals }
    }

    /// Waits for the store's answer.
    async fn finish(self) -> (AppResult<Vec<Option<CustomerId>>>, Vec<Option<String>>) {
        let answer = match self.ready {
            Some(done) => done,
            None => self.answer.await,
        };
        (answer, self.externals)
    }
}

/// Customers per page read for an export.
const EXPORT_PAGE: i64 = 1_000;

/// Writes the tenant's customers (by id) to `output`; `progress` is called after every page.
/// Pages are read one after another, so a customer created during the export may be left out.
pub async fn export_to<W: Write>(
    service: &TransferService,
    tenant: TenantId,
    format: Format,
    output: W,
    mut progress: impl FnMut(&Progress),
) -> Result<(W, Progress), TransferError> {
    let started = Instant::now();
    let io = |e: std::io::Error| TransferError::File { path: PathBuf::from("(output)"), source: e.into() };
    let mut writer = RecordWriter::new(output, format).map_err(io)?;
    let mut p = Progress::default();
    let mut after = None;
    loop {
        let page = service.export_page(tenant, after, EXPORT_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for c in &page {
            writer.write(c).map_err(io)?;
        }
        p.exported += page.len() as u64;
        p.elapsed = started.elapsed();
        progress(&p);
    }
    let out = writer.finish().map_err(io)?;
    p.elapsed = started.elapsed();
    Ok((out, p))
}

/// Exports to the file at `path`, written under a temporary name and renamed when complete, so
/// `path` never holds half an export.
pub async fn export_file(
    service: &TransferService,
    tenant: TenantId,
    format: Format,
    path: &Path,
    progress: impl FnMut(&Progress),
) -> Result<Progress, TransferError> {
    let file_error = |e: std::io::Error| TransferError::File { path: path.to_owned(), source: e.into() };
    let mut partial = path.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&partial).map_err(file_error)?);
    let result = export_to(service, tenant, format, file, progress).await;
    let (file, p) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let file = file.into_inner().map_err(|e| file_error(e.into_error()))?;
    file.sync_all().map_err(file_error)?;
    std::fs::rename(&partial, path).map_err(file_error)?;
    Ok(p)
}
