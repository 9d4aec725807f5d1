//! The request-body budget: the bytes of request bodies that all requests in flight may
//! hold together.
//!
//! A request body is held while the `/mcp` layer reads and peeks at it, again while rmcp
//! decodes it, and as the tool's arguments; the process holds about twice a body's size
//! at its peak (bench/results/memory.json). Without a bound, a few hundred large calls
//! in flight (the per-instance concurrency allows 250) take the process past what a
//! 512 MB instance has, and the out-of-memory restart drops every call on the instance.
//! So a request reserves its body's size here before its body is read, waits (in
//! order of arrival) while the budget is spent, and gives the bytes back when its answer
//! is ready. A request that cannot get its bytes within the wait bound is answered `503`
//! with `Retry-After`: refused, but never an out-of-memory.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Instant,
};

/// The budget's unit. Reservations are rounded up to whole KiB, so the semaphore's
/// `u32` acquisitions cover any body up to 4 TiB.
const UNIT: usize = 1024;

/// What a body of unknown length (chunked, no `Content-Length`) reserves before its
/// first bytes are read; the reservation grows as the body arrives.
const INITIAL_UNSIZED_RESERVATION: usize = 64 * 1024;

/// The shared budget. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct BodyBudget {
    semaphore: Arc<Semaphore>,
    /// The whole budget, in units.
    units: u32,
    wait: Duration,
}

/// The wait bound passed before the bytes were free.
#[derive(Debug)]
pub(crate) struct Exhausted;

impl BodyBudget {
    pub(crate) fn new(bytes: usize, wait: Duration) -> Self {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .clamp(1, u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        Self {
            semaphore: Arc::new(Semaphore::new(units as usize)),
            units,
            wait,
        }
    }

    /// Reserves room for a body of `length` bytes (`None`: unknown, it grows as it
    /// arrives), waiting for the budget's wait bound at most.
    pub(crate) async fn reserve(&self, length: Option<usize>) -> Result<Reservation, Exhausted> {
        let units = self.units_for(length.unwrap_or(INITIAL_UNSIZED_RESERVATION));
        let mut deadline = None;
        let permit = self.acquire(units, &mut deadline).await?;
        Ok(Reservation {
            budget: self.clone(),
            permit,
            units,
            deadline,
        })
    }

    /// Units for `bytes`, at most the whole budget: a body larger than the budget (but
    /// within the body limit) still passes, alone.
    fn units_for(&self, bytes: usize) -> u32 {
        u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .clamp(1, self.units)
    }

    /// Takes `units` at once if they are free (no clock is read then); otherwise waits
    /// for them until `deadline`, which the first wait of a request sets.
    async fn acquire(
        &self,
        units: u32,
        deadline: &mut Option<Instant>,
    ) -> Result<OwnedSemaphorePermit, Exhausted> {
        let semaphore = Arc::clone(&self.semaphore);
        if let Ok(permit) = Arc::clone(&semaphore).try_acquire_many_owned(units) {
            return Ok(permit);
        }
        let deadline = *deadline.get_or_insert_with(|| Instant::now() + self.wait);
        match tokio::time::timeout_at(deadline, semaphore.acquire_many_owned(units)).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a closed one would mean no room either.
            Ok(Err(_)) | Err(_) => Err(Exhausted),
        }
    }
}

/// Bytes of the budget held by one request, given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: BodyBudget,
    permit: OwnedSemaphorePermit,
    units: u32,
    /// When the request stops waiting: set by its first wait, so all its waits
    /// together last at most the budget's wait bound.
    deadline: Option<Instant>,
}

impl Reservation {
    /// Makes sure `bytes` are covered, waiting for the rest until the request's
    /// deadline. A body of unknown length grows its reservation by doubling, so a large
    /// one waits a few times, not once per chunk.
    pub(crate) async fn cover(&mut self, bytes: usize) -> Result<(), Exhausted> {
        let wanted = self.budget.units_for(bytes);
        if wanted <= self.units {
            return Ok(());
        }
        let target = wanted
            .max(self.units.saturating_mul(2))
            .min(self.budget.units);
        let more = self
            .budget
            .acquire(target - self.units, &mut self.deadline)
            .await?;
        self.permit.merge(more);
        self.units = target;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Longer than any of these tests runs: a wait that must succeed.
    const WAIT: Duration = Duration::from_secs(60);
    /// A wait that must run out.
    const SHORT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn a_reservation_waits_for_room_and_gives_it_back_when_dropped() {
        let budget = BodyBudget::new(100 * UNIT, WAIT);
        let first = budget.reserve(Some(60 * UNIT)).await.unwrap();
        let second = budget.reserve(Some(60 * UNIT));
        tokio::pin!(second);
        assert!(futures_poll(&mut second).is_none(), "no room yet");
        drop(first);
        assert!(second.await.is_ok());
    }

    #[tokio::test]
    async fn no_room_within_the_wait_is_exhausted() {
        let budget = BodyBudget::new(100 * UNIT, SHORT);
        let _held = budget.reserve(Some(100 * UNIT)).await.unwrap();
        assert!(budget.reserve(Some(1)).await.is_err());
    }

    #[tokio::test]
    async fn a_body_larger_than_the_budget_passes_alone() {
        let budget = BodyBudget::new(10 * UNIT, WAIT);
        let reservation = budget.reserve(Some(1000 * UNIT)).await;
        assert_eq!(reservation.unwrap().units, 10);
    }

    #[tokio::test]
    async fn an_unsized_body_grows_its_reservation_as_it_arrives() {
        let budget = BodyBudget::new(1000 * UNIT, SHORT);
        let mut reservation = budget.reserve(None).await.unwrap();
        assert_eq!(reservation.units, 64);
        reservation.cover(65 * UNIT).await.unwrap();
        assert_eq!(reservation.units, 128, "doubled");
        reservation.cover(900 * UNIT).await.unwrap();
        assert_eq!(reservation.units, 900);
        let _other = budget.reserve(Some(100 * UNIT)).await.unwrap();
        assert!(
            reservation.cover(901 * UNIT).await.is_err(),
            "the budget is spent"
        );
    }

    /// Polls `future` once.
    fn futures_poll<F: std::future::Future + Unpin>(future: &mut F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        match std::pin::Pin::new(future).poll(&mut context) {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        }
    }
}
