pub mod components;
pub mod pages;
