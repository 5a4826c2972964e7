//! The answer of a function of the topic alone for the last topic it was asked about: a task's
//! records mostly go to one topic, so a regular expression over the topic runs once per change
//! of topic rather than once per record.

/// The last topic asked about and what it gave.
#[derive(Default)]
pub(crate) struct LastTopic<T> {
    last: Option<(String, T)>,
}

impl<T: Clone> LastTopic<T> {
    /// What `compute` gives for `topic`: computed only when `topic` differs from the last one.
    /// A failure is not remembered.
    pub(crate) fn get_or_try<E>(&mut self, topic: &str, compute: impl FnOnce(&str) -> Result<T, E>) -> Result<T, E> {
        if let Some((last, answer)) = &self.last
            && last == topic
        {
            return Ok(answer.clone());
        }
        let answer = compute(topic)?;
        self.last = Some((topic.to_owned(), answer.clone()));
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_per_change_of_topic_and_forgets_failures() {
        let mut memo = LastTopic::default();
        let mut calls = 0;
        let mut ask = |memo: &mut LastTopic<usize>, topic: &str| {
            memo.get_or_try(topic, |t| {
                calls += 1;
                if t == "bad" { Err(()) } else { Ok(t.len()) }
            })
        };
        assert_eq!(ask(&mut memo, "orders"), Ok(6));
        assert_eq!(ask(&mut memo, "orders"), Ok(6));
        assert_eq!(ask(&mut memo, "bad"), Err(()));
        assert_eq!(ask(&mut memo, "bad"), Err(()));
        assert_eq!(ask(&mut memo, "users"), Ok(5));
        assert_eq!(ask(&mut memo, "orders"), Ok(6));
        assert_eq!(calls, 5);
    }
}
