//! Rebuilds the crate when a migration is added or changed: migrations are
//! embedded at compile time (`refinery::embed_migrations!` in `store`), and
//! cargo does not otherwise look at the `migrations` folder.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
