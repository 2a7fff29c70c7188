"""Real remote stores on 127.0.0.1 for the shared-state tests: moto's S3 API
in server mode and an asyncssh SFTP server (password login, a generated host
key checked against a known_hosts file). Configured the way an operator
configures iku: AWS_* variables for S3, FSSPEC_SFTP_* variables for SFTP."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import asyncssh

SFTP_USER = "iku"
SFTP_PASSWORD = "rahasia-uji"


@dataclass
class S3:
    endpoint: str
    env: dict[str, str]
    server: object

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]


def start_s3(buckets: tuple[str, ...] = ()) -> S3:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per process, not per server: each test starts empty
    import httpx

    httpx.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "uji",
        "AWS_SECRET_ACCESS_KEY": "uji-rahasia",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="uji",
        aws_secret_access_key="uji-rahasia",
        region_name="us-east-1",
    )
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    return S3(endpoint, env, server)


CONNECTIONS: list = []  # every connection the SFTP servers accepted, so a test can drop them


class _Server(asyncssh.SSHServer):
    def connection_made(self, conn) -> None:
        CONNECTIONS.append(conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == SFTP_USER and password == SFTP_PASSWORD


@dataclass
class Sftp:
    port: int
    root: Path  # the server's files, as they are on its disk
    env: dict[str, str]
    loop: asyncio.AbstractEventLoop
    server: object

    def url(self, path: str) -> str:
        return f"sftp://{SFTP_USER}@127.0.0.1:{self.port}/{path.strip('/')}"

    def drop_connections(self) -> None:
        """Close every client connection from the server's side (a restart, an idle timeout)."""

        async def drop() -> None:
            for conn in CONNECTIONS:
                conn.close()
            CONNECTIONS.clear()

        asyncio.run_coroutine_threadsafe(drop(), self.loop).result(10)

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()  # type: ignore[attr-defined]
            await self.server.wait_closed()  # type: ignore[attr-defined]

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def start_sftp(workdir: Path) -> Sftp:
    root = workdir / "sftp-root"
    root.mkdir(parents=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    host_key = workdir / "sftp-host-key"
    key.write_private_key(str(host_key))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    found: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def listen() -> None:
            found["server"] = await asyncssh.listen(
                "127.0.0.1",
                0,
                server_host_keys=[str(host_key)],
                server_factory=_Server,
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)),
            )
            ready.set()

        loop.run_until_complete(listen())
        loop.run_forever()

    threading.Thread(target=run, name="sftp-server", daemon=True).start()
    assert ready.wait(20), "SFTP server did not start"
    server = found["server"]
    port = server.sockets[0].getsockname()[1]
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {key.export_public_key().decode()}")
    env = {"FSSPEC_SFTP_PASSWORD": SFTP_PASSWORD, "FSSPEC_SFTP_KNOWN_HOSTS": str(known_hosts)}
    return Sftp(port, root, env, loop, server)


def forget_connections() -> None:
    """fsspec keeps one filesystem object per set of options: a test's server
    (and its port) must not be reused by the next test."""
    import s3fs
    import sshfs

    s3fs.S3FileSystem.clear_instance_cache()
    sshfs.SSHFileSystem.clear_instance_cache()
