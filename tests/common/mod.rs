pub mod pwsh;
