import shutil
import socket
import subprocess
import time

import pytest
import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_cache_settings(port: int, **breaker) -> dict:
    return {
        "default": {
            "BACKEND": "bank_project.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "bank-test",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
                "IGNORE_EXCEPTIONS": True,
                "CIRCUIT_BREAKER": {"name": "redis", "fail_max": 1, "reset_timeout": 5.0, **breaker},
            },
        }
    }


@pytest.fixture(scope="session")
def own_redis():
    """A Redis of our own (never the shared one): its port and process."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield port, process
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_cache(settings, own_redis):
    """CACHES pointed at our own Redis, breaker fresh."""
    port, process = own_redis
    settings.CACHES = redis_cache_settings(port)
    from django.core.cache import cache

    cache.clear()
    yield process
    cache.clear()


@pytest.fixture
def dead_redis_cache(settings):
    """CACHES pointed at a port where nothing listens: every call is refused."""
    settings.CACHES = redis_cache_settings(free_port())
