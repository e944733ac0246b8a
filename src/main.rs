use clap::Parser;
use feedback_webhooks::serve;
use feedback_webhooks::server::config::{Config, RotateKeyArgs};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    if std::env::args().nth(1).as_deref() == Some("rotate-key") {
        let args = RotateKeyArgs::parse_from(std::env::args().skip(1));
        match serve::rotate_key(args).await {
            Ok(done) => println!("{done}"),
            Err(error) => {
                eprintln!("feedback-webhooks rotate-key: {error}");
                std::process::exit(1);
            }
        }
        return;
    }
    let config = Config::parse();
    let server = match serve::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("feedback-webhooks cannot start: {error}");
            std::process::exit(1);
        }
    };
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
