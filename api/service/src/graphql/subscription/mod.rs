//! `matchRunProgress` over graphql-transport-ws: a run's progress, read from the
//! database, so it follows runs that any node carries out.

use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use store::records::RunStatus;
use store::runs;

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, Code};
use crate::graphql::store;
use crate::graphql::types::run::{MatchRunProgress, load_run};

/// How often a progress subscription looks at its run.
pub const PROGRESS_POLL: Duration = Duration::from_millis(200);

/// Live updates.
#[derive(Default)]
pub struct RunSubscription;

#[Subscription(name = "Subscription")]
impl RunSubscription {
    /// A run's progress: the current state at once, then every change, ending
    /// after the run ends. Read from the database, so it follows runs that any node
    /// carries out.
    async fn match_run_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = MatchRunProgress> + use<>> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?.clone();
        // A run one may not follow and a run that does not exist get one answer, the
        // forbidden subscription (graphql-ws closes 4403), so the id tells nothing.
        load_run(&store, &id, |school| access.read_run(&id, school)).await.map_err(|err| match err.code {
            Code::NotFound => ApiError::new(Code::Forbidden, "not allowed: following this match run"),
            _ => err,
        })?;
        let state = (store, id.0, None::<MatchRunProgress>, false);
        Ok(futures_util::stream::unfold(state, |(store, id, last, ended)| async move {
            if ended {
                return None;
            }
            loop {
                // Each event's work is bounded like a request; the wait between events is not.
                let read = tokio::time::timeout(super::REQUEST_TIMEOUT, runs::get(store.db(), &id)).await;
                let current = match read {
                    Ok(Ok(Some(run))) => MatchRunProgress::from(&run),
                    Ok(Ok(None)) => return None,
                    Ok(Err(err)) => {
                        tracing::warn!(run = %id, error = %err, "progress: could not read the run");
                        return None;
                    }
                    Err(_) => {
                        tracing::warn!(run = %id, "progress: the run could not be read in time");
                        return None;
                    }
                };
                if last.as_ref() != Some(&current) {
                    let ended = RunStatus::from(current.status).is_final();
                    return Some((current.clone(), (store, id, Some(current), ended)));
                }
                tokio::time::sleep(PROGRESS_POLL).await;
            }
        }))
    }
}
