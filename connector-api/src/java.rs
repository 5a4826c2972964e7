//! Java's behaviour where Kafka Connect's output depends on it, for the code that has to give
//! the same output: the calendar, `BigDecimal`, number and string handling, and the names Java
//! gives values and types in errors.

pub mod calendar;
pub mod decimal;
pub mod names;
pub mod number;
pub mod string;
