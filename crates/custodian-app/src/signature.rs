//! Sanitising a signature off the async workers: the domain's sanitiser is CPU-bound, so it runs on
//! tokio's blocking pool, at most [`CONCURRENCY`] at once per process, each within a time budget.

use custodian_domain::SanitizedSvg;
use custodian_domain::signature::SignatureError;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Signatures sanitised at the same time in one process; further ones wait for a turn.
pub const CONCURRENCY: usize = 2;
/// Longest a signature may take to sanitise before it is refused.
pub const TIME_BUDGET: Duration = Duration::from_secs(5);
/// Longest a signature waits for a turn before it is refused.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

static TURNS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(CONCURRENCY)));

/// Decodes and sanitises `base64SvgSignature` on the blocking pool. A run that outlives its budget
/// is refused at once but keeps its turn until it ends, so runaway work never exceeds
/// [`CONCURRENCY`] threads.
pub async fn sanitize(encoded: String) -> Result<SanitizedSvg, SignatureError> {
    let turn = tokio::time::timeout(QUEUE_WAIT, TURNS.clone().acquire_owned())
        .await
        .map_err(|_| SignatureError::Busy(QUEUE_WAIT.as_secs()))?
        .expect("the signature semaphore is never closed");
    let run = tokio::task::spawn_blocking(move || {
        let outcome = SanitizedSvg::from_base64(&encoded);
        drop(turn);
        outcome
    });
    match tokio::time::timeout(TIME_BUDGET, run).await {
        Ok(Ok(outcome)) => outcome,
        // The sanitiser panicked on this input: refuse it like any other malformed SVG.
        Ok(Err(_)) => Err(SignatureError::NotSvg),
        Err(_) => {
            tracing::warn!(budget_s = TIME_BUDGET.as_secs(), "a signature exceeded its time budget and was refused");
            Err(SignatureError::TimedOut(TIME_BUDGET.as_secs()))
        }
    }
}
