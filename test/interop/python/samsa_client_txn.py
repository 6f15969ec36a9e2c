#!/usr/bin/python3
"""librdkafka (confluent-kafka-python) writes transactions for Samsa's Consumer to read
(test/interop/samsa-client.test.ts): TXNS transactions of PER_TXN records each, spread
over the topic's partitions, every third one aborted, the others committed, with
non-transactional records from a second producer in between.

Usage: samsa_client_txn.py BOOTSTRAP TOPIC TXNS PER_TXN OUT_FILE
OUT_FILE gets one JSON line per delivered record: {"p", "o", "v", "kind": "committed"|"aborted"|"plain"};
stdout one JSON result line.
"""
import json
import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic, txns, per_txn, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    tx = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'samsa-client-interop-txn', 'linger.ms': 5})
    plain = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5})
    tx.init_transactions(30)
    out = open(out_path, 'w', encoding='utf-8')
    errors = []

    def report(kind):
        def cb(err, msg):
            if err is not None:
                errors.append(str(err))
                return
            out.write(json.dumps({'p': msg.partition(), 'o': msg.offset(), 'v': msg.value().decode(), 'kind': kind}) + '\n')
        return cb

    # The outcome is known before the records are sent; delivery reports of aborted records still carry offsets.
    for t in range(txns):
        kind = 'aborted' if t % 3 == 1 else 'committed'
        tx.begin_transaction()
        for j in range(per_txn):
            tx.produce(topic, value=('t%d-%d' % (t, j)).encode(), key=('k%d' % j).encode(), partition=j % 3, on_delivery=report(kind))
            if j % 7 == 0:
                plain.produce(topic, value=('p%d-%d' % (t, j)).encode(), partition=(j // 7) % 3, on_delivery=report('plain'))
        tx.flush(30)
        if kind == 'aborted':
            tx.abort_transaction(30)
        else:
            tx.commit_transaction(30)
        plain.flush(30)
    out.close()
    print(json.dumps({'errors': errors[:10], 'error_count': len(errors)}), flush=True)


if __name__ == '__main__':
    main()
