//! A minimal graphql-transport-ws client over a hand-written websocket (RFC 6455:
//! the upgrade, masked client text frames, unmasked server frames), enough to talk
//! to the service the way a browser's graphql-ws client does.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An open graphql-transport-ws connection.
pub struct Socket {
    stream: TcpStream,
}

/// What the server said to one subscription.
#[derive(Debug)]
pub enum Event {
    /// A `next` message's payload.
    Next(Value),
    /// An `error` message's payload (a list of GraphQL errors).
    Error(Value),
    /// `complete`: the subscription ended.
    Complete,
    /// The server closed the connection, with this close code (if it sent one).
    Closed(Option<u16>),
}

impl Socket {
    /// Upgrades a connection to `addr`'s `/graphql`, without `connection_init`.
    pub async fn open(addr: SocketAddr) -> Socket {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let key = base64::engine::general_purpose::STANDARD.encode(*b"partnermatch-ws!");
        let head = format!(
            "GET /graphql HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        while !response.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.expect("an upgrade response");
            response.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 101"), "not upgraded: {text}");
        Socket { stream }
    }

    /// Opens and initialises a connection with `token` (if any); returns it once
    /// acknowledged, or the close code when the server refuses it.
    pub async fn connect(addr: SocketAddr, token: Option<&str>) -> Result<Socket, Option<u16>> {
        let mut socket = Socket::open(addr).await;
        let payload = match token {
            Some(token) => json!({"Authorization": format!("Bearer {token}")}),
            None => json!({}),
        };
        socket.send(&json!({"type": "connection_init", "payload": payload})).await;
        loop {
            match socket.receive().await {
                Ok(message) if message["type"] == "connection_ack" => return Ok(socket),
                Ok(_) => continue,
                Err(code) => return Err(code),
            }
        }
    }

    /// Sends a message as it is, valid or not.
    pub async fn send_raw(&mut self, message: &Value) {
        self.send(message).await;
    }

    /// Closes the connection with 1000 and returns the code of the server's answering close.
    pub async fn close(mut self) -> Option<u16> {
        let mask = [0x1b, 0x2c, 0x3d, 0x4e];
        let code = 1000u16.to_be_bytes();
        let mut frame = vec![0x88u8, 0x80 | 2];
        frame.extend_from_slice(&mask);
        frame.extend(code.iter().enumerate().map(|(at, byte)| byte ^ mask[at % 4]));
        self.stream.write_all(&frame).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.receive()).await {
                Err(_) => panic!("no close from the server within 10 s"),
                Ok(Err(code)) => return code,
                Ok(Ok(_)) => continue,
            }
        }
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(&json!({"id": id, "type": "subscribe", "payload": {"query": query}})).await;
    }

    /// The next event of any subscription (pings answered on the way), within 20 s.
    pub async fn event(&mut self) -> Event {
        loop {
            let message = match tokio::time::timeout(Duration::from_secs(20), self.receive()).await {
                Err(_) => panic!("no message from the server within 20 s"),
                Ok(Err(code)) => return Event::Closed(code),
                Ok(Ok(message)) => message,
            };
            match message["type"].as_str() {
                Some("next") => return Event::Next(message["payload"].clone()),
                Some("error") => return Event::Error(message["payload"].clone()),
                Some("complete") => return Event::Complete,
                Some("ping") => self.send(&json!({"type": "pong"})).await,
                _ => {}
            }
        }
    }

    async fn send(&mut self, message: &Value) {
        // (kept private: tests say what they send through `subscribe` or `send_raw`)
        let payload = serde_json::to_vec(message).unwrap();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x1b, 0x2c, 0x3d, 0x4e];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(at, byte)| byte ^ mask[at % 4]));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next text message as JSON; Err(close code) when the server closes.
    async fn receive(&mut self) -> Result<Value, Option<u16>> {
        loop {
            let mut head = [0u8; 2];
            if self.stream.read_exact(&mut head).await.is_err() {
                return Err(None);
            }
            let opcode = head[0] & 0x0f;
            let mut length = u64::from(head[1] & 0x7f);
            if length == 126 {
                let mut bytes = [0u8; 2];
                self.stream.read_exact(&mut bytes).await.map_err(|_| None)?;
                length = u64::from(u16::from_be_bytes(bytes));
            } else if length == 127 {
                let mut bytes = [0u8; 8];
                self.stream.read_exact(&mut bytes).await.map_err(|_| None)?;
                length = u64::from_be_bytes(bytes);
            }
            let mut payload = vec![0u8; length as usize];
            self.stream.read_exact(&mut payload).await.map_err(|_| None)?;
            match opcode {
                0x1 => return Ok(serde_json::from_slice(&payload).expect("a JSON message")),
                0x8 => return Err(payload.get(..2).map(|code| u16::from_be_bytes([code[0], code[1]]))),
                // Pings, pongs and anything else carry no message.
                _ => continue,
            }
        }
    }
}
