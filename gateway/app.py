"""Assembles a gateway: store, registry cache, decoder, verdicts, pipeline, MQTT client."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable

from gateway.config import GatewayConfig
from gateway.decode import Decoder
from gateway.decode_pool import DecodePool, WorkerSpec
from gateway.key_cache import KeyCache, sql_loader
from gateway.mqtt import GatewayClient
from gateway.pipeline import Pipeline
from gateway.store import BatchResult, StoreWriter
from gateway.verdicts import VerdictService
from traceability.store.engine import create_engine

log = logging.getLogger(__name__)
SWITCH_INTERVAL_S = 0.0005


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        mqtt5: bool | None = None,
        on_commit: Callable[[BatchResult], None] | None = None,
    ) -> None:
        self.config = config
        pg = not config.database_url.startswith("sqlite")
        # no pre-ping: it is a round trip per batch; a dead connection fails the batch, which
        # is retried on a fresh one (SQLAlchemy invalidates the pool on disconnect errors)
        self.engine = (
            create_engine(url=config.database_url, pool_size=4, pool_pre_ping=False)
            if pg
            else create_engine(url=config.database_url)
        )
        self.keys = KeyCache(sql_loader(self.engine), ttl_s=config.key_ttl_s)
        self.decoder = Decoder(
            keys=self.keys,
            max_payload=config.max_payload,
            clock_skew_s=config.clock_skew_s,
            topic_prefix=config.topic_prefix,
            time_rule=config.time_rule,
        )
        self.pool = (
            DecodePool(
                WorkerSpec(
                    database_url=config.database_url,
                    max_payload=config.max_payload,
                    clock_skew_s=config.clock_skew_s,
                    key_ttl_s=config.key_ttl_s,
                    topic_prefix=config.topic_prefix,
                    time_rule=config.time_rule,
                ),
                config.decode_workers,
            )
            if config.decode_workers > 0
            else None
        )
        self.verdicts = VerdictService(self.engine)
        self.writer = StoreWriter(self.engine)
        self.client = GatewayClient(config, on_message=self._on_message, mqtt5=mqtt5)
        self.pipeline = Pipeline(
            decoder=self.decoder,
            writer=self.writer,
            ack=self.client.ack,
            publish=self.client.publish,
            verdicts=self.verdicts,
            batch_size=config.batch_size,
            batch_ms=config.batch_ms,
            backoff_max_s=config.backoff_max_s,
            pool=self.pool,
            on_commit=on_commit,
            ack_many=self.client.ack_many,
            linger_ms=config.decode_linger_ms,
        )
        self._stopped = threading.Event()

    def _on_message(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        self.pipeline.submit(topic, payload, mid, qos)

    def start(self) -> Gateway:
        # every message crosses threads (MQTT -> decode -> writer -> MQTT): a woken thread waits
        # for the GIL up to the switch interval (5 ms by default) while another computes
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        if self.pool is not None:
            self.pool.warm()
        self.pipeline.start()
        self.client.start()
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.pipeline.stop()
        self.client.stop()
        if self.pool is not None:
            self.pool.shutdown()
        self.verdicts.close()
        self.engine.dispose()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
