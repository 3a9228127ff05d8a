//! Stories and passages: which articles report one story, and, sentence by sentence, what each
//! shares with which other, writes itself, or wraps around it as boilerplate.
//!
//! Main choice: the stages work on one article's own evidence first ([`segment`],
//! [`boilerplate`], [`terms`]), then on a story at a time ([`cluster`], [`align`], [`passage`]),
//! so no stage compares every article with every other.

pub mod align;
pub mod article_terms;
pub mod boilerplate;
pub mod cluster;
pub mod partners;
pub mod passage;
pub mod segment;
pub mod terms;
