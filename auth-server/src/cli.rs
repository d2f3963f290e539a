//! Admin commands on the server binary, for operators and tests. They talk
//! to the database directly and print text, or JSON with `--json`.

use std::io::BufRead;

use anyhow::{Context, bail, ensure};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use url::Url;

use crate::config::Config;
use crate::oauth::rules::{PUBLIC_CLIENT_GRANTS, REGISTRABLE_GRANTS, redirect_uri_problem};
use crate::password;
use crate::store::user::looks_like_email;
use crate::store::{self, ClientStore, NewClient, NewUser, UserStore};

#[derive(Debug, Parser)]
#[command(name = "auth-server", version, about = "OAuth2 authorization server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API clients.
    #[command(subcommand)]
    Client(ClientCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create(CreateUser),
    /// List users.
    List(Output),
    /// Disable a user and revoke every token they hold.
    Disable {
        username: String,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
pub struct CreateUser {
    pub username: String,
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// The password (visible in the process list; prefer --password-stdin).
    #[arg(
        long,
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its secret, the only time it is shown.
    Create(CreateClient),
    /// List clients (never their secrets).
    List(Output),
    /// Delete a client and every token issued to it.
    Delete {
        client_id: String,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
pub struct CreateClient {
    #[arg(long)]
    pub name: String,
    /// A grant the client may use; repeat for several.
    #[arg(long = "grant", value_parser = clap::builder::PossibleValuesParser::new(REGISTRABLE_GRANTS))]
    pub grants: Vec<String>,
    /// A redirect URI, matched exactly (a loopback http URI with any
    /// port); repeat for several.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<Url>,
    /// A public client: no secret, for apps that cannot keep one; limited
    /// to the authorization_code (with PKCE) and refresh_token grants.
    #[arg(long)]
    pub public: bool,
    /// Allow this client to call the introspection endpoint (a resource server).
    #[arg(long)]
    pub introspect: bool,
    /// Allow this client to register users (api-server's `PUT /api/user`).
    #[arg(long)]
    pub register: bool,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct Output {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs an admin command to completion.
pub async fn execute(command: Command, config: &Config) -> anyhow::Result<()> {
    let pool = crate::connect(config)?;
    store::migrate(&pool).await?;
    let users = UserStore::new(pool.clone());
    let clients = ClientStore::new(pool.clone());

    match command {
        Command::Serve | Command::Migrate => {}
        Command::User(UserCommand::Create(args)) => create_user(&users, args).await?,
        Command::User(UserCommand::List(output)) => {
            let list = users.list().await?;
            if output.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for u in list {
                    let state = if u.disabled { " (disabled)" } else { "" };
                    println!("{}\t{}\t{}{state}", u.id, u.username, u.email);
                }
            }
        }
        Command::User(UserCommand::Disable { username, output }) => {
            ensure!(
                users.disable(&username).await?,
                "no user named {username:?}"
            );
            print(
                &output,
                json!({"username": username, "disabled": true}),
                "disabled",
            );
        }
        Command::Client(ClientCommand::Create(args)) => create_client(&clients, args).await?,
        Command::Client(ClientCommand::List(output)) => {
            let list = clients.list().await?;
            if output.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in list {
                    println!("{}\t{}\t{}", c.client_id, c.name, c.grants.join(","));
                }
            }
        }
        Command::Client(ClientCommand::Delete { client_id, output }) => {
            ensure!(
                clients.delete(&client_id).await?,
                "no client with id {client_id:?}"
            );
            print(
                &output,
                json!({"client_id": client_id, "deleted": true}),
                "deleted",
            );
        }
    }
    pool.close();
    Ok(())
}

async fn create_user(users: &UserStore, args: CreateUser) -> anyhow::Result<()> {
    let password = match args.password {
        Some(password) => password,
        None => read_password_line()?,
    };
    validate_new_user(&args.username, &args.email, &password)?;

    let hash = tokio::task::spawn_blocking(move || password::hash_now(&password)).await??;
    let user = users
        .create(&NewUser {
            username: &args.username,
            email: &args.email,
            name: args.name.as_deref(),
            password_hash: &hash,
        })
        .await?;
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&user)?);
    } else {
        println!("created user {} (id {})", user.username, user.id);
    }
    Ok(())
}

/// Rules for a new account. A username must not look like an e-mail address:
/// such a log-in is looked up by e-mail only, so the user could never use it.
pub fn validate_new_user(username: &str, email: &str, password: &str) -> anyhow::Result<()> {
    ensure!(
        !username.trim().is_empty(),
        "the username must not be empty"
    );
    ensure!(
        !username.chars().any(char::is_whitespace),
        "the username must not contain spaces"
    );
    ensure!(
        !looks_like_email(username),
        "the username must not look like an e-mail address"
    );
    ensure!(
        looks_like_email(email),
        "{email:?} is not an e-mail address"
    );
    ensure!(
        password.chars().count() >= 8,
        "the password must be at least 8 characters"
    );
    Ok(())
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn create_client(clients: &ClientStore, args: CreateClient) -> anyhow::Result<()> {
    let redirect_uris: Vec<String> = args.redirect_uris.iter().map(Url::to_string).collect();
    let mut grants = args.grants;
    grants.sort();
    grants.dedup();
    ensure!(
        !grants.is_empty() || args.introspect || args.register,
        "give the client at least one --grant, or --introspect or --register"
    );
    for uri in &redirect_uris {
        if let Some(problem) = redirect_uri_problem(uri) {
            anyhow::bail!("the redirect URI {uri} {problem}");
        }
    }
    if args.public {
        ensure!(
            grants
                .iter()
                .all(|g| PUBLIC_CLIENT_GRANTS.contains(&g.as_str()))
                && !args.introspect
                && !args.register,
            "a public client may only have the authorization_code and refresh_token grants"
        );
        ensure!(
            !redirect_uris.is_empty(),
            "a public client needs at least one --redirect-uri"
        );
    }

    let (client, secret) = clients
        .create_owned(
            &NewClient {
                name: &args.name,
                grants: &grants,
                redirect_uris: &redirect_uris,
                can_introspect: args.introspect,
                can_register: args.register,
            },
            None,
            args.public,
        )
        .await?;
    if args.output.json {
        let mut value = serde_json::to_value(&client)?;
        value["client_secret"] = json!(secret);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("client_id:     {}", client.client_id);
        match secret {
            Some(secret) => {
                println!("client_secret: {secret}");
                println!("(the secret is shown only now; it is stored hashed)");
            }
            None => println!("(a public client: no secret, PKCE required)"),
        }
    }
    Ok(())
}

fn print(output: &Output, value: serde_json::Value, text: &str) {
    if output.json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::validate_new_user;

    #[test]
    fn a_username_shaped_like_an_email_is_refused() {
        assert!(validate_new_user("a@b.c", "a@b.c", "long enough").is_err());
        assert!(validate_new_user("alice", "alice@example.com", "long enough").is_ok());
        assert!(validate_new_user("alice", "alice@example.com", "short").is_err());
    }
}
