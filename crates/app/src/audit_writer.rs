//! Group commit for audit rows of reads and refusals: requests hand their row to one writer
//! task, which commits whatever has queued up in a single transaction and then answers each
//! request. A request still returns only after its row is committed (no row, no data), but a
//! busy server pays for one commit per batch instead of one per read.

use std::sync::OnceLock;

use minsheng_store::{Store, Value, insert_rows};
use tokio::sync::{mpsc, oneshot};

use crate::{AppError, AppResult};

/// One audit row, owned, on its way to the writer.
#[derive(Debug, Clone)]
pub(crate) struct AuditEntry {
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub allowed: bool,
    pub detail: String,
}

struct Pending {
    entry: AuditEntry,
    done: oneshot::Sender<Result<(), String>>,
}

const MAX_BATCH: usize = 512;

pub(crate) struct AuditWriter {
    store: Store,
    sender: OnceLock<mpsc::Sender<Pending>>,
}

impl AuditWriter {
    pub fn new(store: Store) -> AuditWriter {
        AuditWriter {
            store,
            sender: OnceLock::new(),
        }
    }

    /// Commits the row (with whatever else is waiting) and returns once it is durable.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn write(&self, entry: AuditEntry) -> AppResult<()> {
        // Started on first use, inside the runtime that serves the requests.
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(run(self.store.clone(), receiver));
            sender
        });
        let (done, answer) = oneshot::channel();
        sender
            .send(Pending { entry, done })
            .await
            .map_err(|_| AppError::Internal("the audit writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the audit writer has stopped".into()))?
            .map_err(AppError::Internal)
    }
}

async fn run(store: Store, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let result = write_batch(&store, &batch).await.map_err(|e| e.to_string());
        for pending in batch {
            let _ = pending.done.send(result.clone());
        }
    }
}

async fn write_batch(store: &Store, batch: &[Pending]) -> Result<(), minsheng_store::StoreError> {
    let rows = batch
        .iter()
        .map(|p| {
            let e = &p.entry;
            vec![
                Value::Int(e.at),
                Value::OptInt(e.user_id),
                Value::Text(e.username.clone()),
                Value::Text(e.ip.clone()),
                Value::Text(e.action.clone()),
                Value::Text(e.subject_kind.clone()),
                Value::Text(e.subject_id.clone()),
                Value::Text(if e.allowed { "allowed" } else { "denied" }.into()),
                Value::Text(e.detail.clone()),
            ]
        })
        .collect();
    let mut tx = store.begin().await?;
    insert_rows(
        &mut tx,
        "audit_log",
        &[
            "at",
            "user_id",
            "username",
            "ip",
            "action",
            "subject_kind",
            "subject_id",
            "outcome",
            "detail",
        ],
        rows,
    )
    .await?;
    tx.commit().await
}
