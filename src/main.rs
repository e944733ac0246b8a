use clap::Parser;
use feedback_webhooks::{serve, server::config::Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
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
