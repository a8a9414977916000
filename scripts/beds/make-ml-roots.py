#!/usr/bin/python3
"""Writes one SageMaker ML root per host under WORK (WORK/algo-1 ... WORK/algo-N),
as SageMaker prepares /opt/ml on each instance: input/config/resourceconfig.json,
hyperparameters.json (values JSON-encoded twice, as the Python SDK writes them),
inputdataconfig.json and the data channel 'train' cut from WORK/full.npy.

Usage: make-ml-roots.py WORK N [--sharded] [--interface eth0] [KEY=VALUE ...]
  --sharded    ShardedByS3Key: unequal shards in host order, the second host
               none, each host's shard split over two files; else every host
               holds the whole matrix (FullyReplicated).
  --interface  network_interface_name to write (absent: left out, as it may be).
  --certs DIR  a second channel 'certs' holding DIR's files (ringsim certs output).
  --no-secret  no job secret: without it (and without tls_channel or
               job_secret_channel) a random secret is written as the file
               job_secret of a channel 'secret', and job_secret_channel=secret
               set, as docs/sagemaker.md says to.
  KEY=VALUE    hyperparameters.
RINGSIM_NAN_ROW=r puts a NaN into row r (to test failure handling).
"""
import argparse
import json
import os
import secrets
import shutil

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("work")
parser.add_argument("n", type=int)
parser.add_argument("--sharded", action="store_true")
parser.add_argument("--interface")
parser.add_argument("--certs")
parser.add_argument("--no-secret", action="store_true")
parser.add_argument("hyperparameters", nargs="*")
args = parser.parse_intermixed_args()
work, n = args.work, args.n
x = np.load(f"{work}/full.npy")
if os.environ.get("RINGSIM_NAN_ROW"):
    x[int(os.environ["RINGSIM_NAN_ROW"]), 0] = np.nan
hosts = [f"algo-{i}" for i in range(1, n + 1)]
listed = list(reversed(hosts))  # out of order on purpose: the launcher must sort naturally
weights = [0 if (i == 1 and n > 1) else i + 1 for i in range(n)]
bounds = np.concatenate([[0], np.cumsum(np.array(weights) * len(x) // max(1, sum(weights)))])
bounds[-1] = len(x)
hp = dict(kv.split("=", 1) for kv in args.hyperparameters)
secret = None
if not args.no_secret and not {"job_secret", "job_secret_channel", "tls_channel"} & hp.keys():
    secret = secrets.token_hex(32)
    hp["job_secret_channel"] = "secret"
for i, host in enumerate(hosts):
    root = f"{work}/{host}"
    cfg = f"{root}/input/config"
    data = f"{root}/input/data/train"
    os.makedirs(cfg, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    resource = {"current_host": host, "hosts": listed, "current_group_name": "homogeneousCluster"}
    if args.interface:
        resource["network_interface_name"] = args.interface
    json.dump(resource, open(f"{cfg}/resourceconfig.json", "w"))
    json.dump({key: json.dumps(value) for key, value in hp.items()}, open(f"{cfg}/hyperparameters.json", "w"))
    channels = {"train": {"ContentType": "application/x-npy", "TrainingInputMode": "File",
                          "S3DistributionType": "ShardedByS3Key" if args.sharded else "FullyReplicated",
                          "RecordWrapperType": "None"}}
    if args.certs:
        channels["certs"] = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                             "RecordWrapperType": "None"}
        shutil.copytree(args.certs, f"{root}/input/data/certs", dirs_exist_ok=True)
    if secret:
        channels["secret"] = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                              "RecordWrapperType": "None"}
        os.makedirs(f"{root}/input/data/secret", exist_ok=True)
        with open(os.open(f"{root}/input/data/secret/job_secret", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w") as f:
            f.write(secret + "\n")
    json.dump(channels, open(f"{cfg}/inputdataconfig.json", "w"))
    if args.sharded:
        part = x[bounds[i]:bounds[i + 1]]
        third = len(part) // 3
        if len(part):
            np.save(f"{data}/part-000.npy", part[:third])
            np.save(f"{data}/part-001.npy", part[third:])
    else:
        np.save(f"{data}/matrix.npy", x)
shards = [int(bounds[i + 1] - bounds[i]) for i in range(n)] if args.sharded else "replicated"
print(f"{n} hosts in {work}; shards: {shards}")
