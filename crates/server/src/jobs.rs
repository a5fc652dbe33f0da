//! Long data work started from the browser (imports, overlay analysis) runs
//! as a background job on its own store connection, so the platform keeps
//! answering while it runs; the page polls the job for its progress and,
//! at the end, its summary or its error with every problem row.
//!
//! One data job runs at a time (they write whole tables). Jobs live in
//! memory: the last [`KEPT`] are kept; what they wrote is in the store and
//! its import log either way.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};
use time::OffsetDateTime;
use weipian_domain::access::{Actor, Scope};
use weipian_service::Progress;

use crate::ApiError;

/// How many finished jobs are remembered.
const KEPT: usize = 50;

/// The jobs of this server process.
#[derive(Clone, Default)]
pub(crate) struct Jobs {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    jobs: VecDeque<Arc<Job>>,
}

/// One job: what it is, who started it, how far it got, how it ended.
pub(crate) struct Job {
    pub id: u64,
    title: String,
    owner: String,
    started_at: OffsetDateTime,
    stage: Mutex<String>,
    total: AtomicU64,
    done: AtomicU64,
    end: Mutex<Option<End>>,
}

struct End {
    at: OffsetDateTime,
    /// `Ok(summary)` or `Err((status, error body))`.
    outcome: Result<Value, (u16, Value)>,
}

impl Progress for Job {
    fn stage(&self, name: &str, total: u64) {
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner) = name.to_string();
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    fn finish_stage(&self) {
        let total = self.total.load(Ordering::Relaxed);
        self.done.store(total, Ordering::Relaxed);
    }
}

impl Job {
    fn running(&self) -> bool {
        self.end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Whether `actor` may see this job: who started it, and the
    /// administrators of the whole country.
    fn visible_to(&self, actor: &Actor) -> bool {
        self.owner == actor.user
            || (actor.may_at_all(weipian_domain::access::Op::ManageData)
                && actor.scope == Scope::National)
    }

    /// The job as the API shows it.
    pub(crate) fn json(&self) -> Value {
        let end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
        let rfc3339 = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let mut v = json!({
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "started_at": rfc3339(self.started_at),
            "stage": *self.stage.lock().unwrap_or_else(PoisonError::into_inner),
            "done": self.done.load(Ordering::Relaxed),
            "total": self.total.load(Ordering::Relaxed),
        });
        let state = match end.as_ref() {
            None => "running",
            Some(End { at, outcome }) => {
                v["finished_at"] = json!(rfc3339(*at));
                match outcome {
                    Ok(summary) => {
                        v["result"] = summary.clone();
                        "done"
                    }
                    Err((status, body)) => {
                        v["status"] = json!(status);
                        v["error"] = body.clone();
                        "failed"
                    }
                }
            }
        };
        v["state"] = json!(state);
        v
    }
}

impl Jobs {
    /// Start `work` on the blocking pool as a new job of `actor`, unless a
    /// job is running (409, naming it).
    pub(crate) fn start<F>(
        &self,
        actor: &Actor,
        title: String,
        work: F,
    ) -> Result<Arc<Job>, ApiError>
    where
        F: FnOnce(&Job) -> Result<Value, ApiError> + Send + 'static,
    {
        let job = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(busy) = inner.jobs.iter().find(|j| j.running()) {
                return Err(ApiError::from_refusal(
                    "conflict",
                    format!(
                        "已有数据任务在运行（任务 {}：{}，由 {} 发起），请等它完成后再试",
                        busy.id, busy.title, busy.owner
                    ),
                ));
            }
            inner.next += 1;
            let job = Arc::new(Job {
                id: inner.next,
                title,
                owner: actor.user.clone(),
                started_at: OffsetDateTime::now_utc(),
                stage: Mutex::new("排队".into()),
                total: AtomicU64::new(0),
                done: AtomicU64::new(0),
                end: Mutex::new(None),
            });
            inner.jobs.push_back(job.clone());
            while inner.jobs.len() > KEPT {
                // Only finished jobs are dropped: at most one runs.
                if let Some(pos) = inner.jobs.iter().position(|j| !j.running()) {
                    inner.jobs.remove(pos);
                } else {
                    break;
                }
            }
            job
        };
        let running = job.clone();
        tokio::task::spawn_blocking(move || {
            let t = std::time::Instant::now();
            // A panic in the work still ends the job (as failed).
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&running)))
                .unwrap_or_else(|_| Err(ApiError::internal("任务意外中止")));
            let outcome = outcome.map_err(|e| (e.status().as_u16(), e.body()));
            tracing::info!(job = running.id, title = %running.title, ok = outcome.is_ok(), secs = t.elapsed().as_secs_f64(), "job finished");
            *running.end.lock().unwrap_or_else(PoisonError::into_inner) = Some(End {
                at: OffsetDateTime::now_utc(),
                outcome,
            });
        });
        Ok(job)
    }

    /// A job `actor` may see (others are "not found").
    pub(crate) fn get(&self, actor: &Actor, id: u64) -> Result<Arc<Job>, ApiError> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .jobs
            .iter()
            .find(|j| j.id == id && j.visible_to(actor))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("任务 {id}")))
    }

    /// The jobs `actor` may see, newest first.
    pub(crate) fn list(&self, actor: &Actor) -> Vec<Arc<Job>> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .jobs
            .iter()
            .rev()
            .filter(|j| j.visible_to(actor))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weipian_domain::access::Role;

    fn admin(name: &str, scope: Scope) -> Actor {
        Actor::new(name, scope, Role::Admin).unwrap()
    }

    async fn finished(job: &Arc<Job>) -> Value {
        for _ in 0..500 {
            if !job.running() {
                return job.json();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("job {} did not finish", job.id);
    }

    #[tokio::test]
    async fn one_job_at_a_time_with_progress_and_an_outcome() {
        let jobs = Jobs::default();
        let national = admin("a", Scope::National);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let first = jobs
            .start(&national, "导入".into(), move |p| {
                p.stage("读取", 4);
                p.advance(3);
                rx.recv().ok();
                Ok(json!({"imported": 4}))
            })
            .unwrap();
        // Wait until the work is inside its stage.
        for _ in 0..500 {
            if first.json()["done"] == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let v = first.json();
        assert_eq!(
            (v["state"].as_str(), v["stage"].as_str()),
            (Some("running"), Some("读取"))
        );
        assert_eq!(
            (v["done"].as_u64(), v["total"].as_u64()),
            (Some(3), Some(4))
        );
        let busy = jobs
            .start(&national, "分析".into(), |_| Ok(json!({})))
            .err()
            .unwrap();
        assert_eq!(busy.status().as_u16(), 409);
        tx.send(()).unwrap();
        let v = finished(&first).await;
        assert_eq!(v["state"], "done");
        assert_eq!(v["result"]["imported"], 4);

        // A failure keeps the error's status and body; a panic is a failure too.
        let bad = jobs
            .start(&national, "导入".into(), |_| {
                Err(ApiError::invalid("第 2 条记录：坏"))
            })
            .unwrap();
        let v = finished(&bad).await;
        assert_eq!(
            (v["state"].as_str(), v["status"].as_u64()),
            (Some("failed"), Some(422))
        );
        assert_eq!(v["error"]["message"], "第 2 条记录：坏");
        let panicking = jobs
            .start(&national, "分析".into(), |_| panic!("boom"))
            .unwrap();
        assert_eq!(finished(&panicking).await["status"], 500);

        // Who sees what: the owner and national administrators only.
        let provincial = admin("b", Scope::parse("510000").unwrap());
        assert!(jobs.get(&provincial, first.id).is_err());
        assert!(jobs.list(&provincial).is_empty());
        assert_eq!(jobs.list(&national).len(), 3);
        assert_eq!(jobs.list(&national)[0].id, panicking.id, "newest first");
    }
}
