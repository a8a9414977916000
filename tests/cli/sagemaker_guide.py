#!/usr/bin/python3
"""Runs the SageMaker Python SDK example of docs/sagemaker.md as written, with
a stand-in for the SDK (v2's generic Estimator) that records what it would
send: each hyperparameter as str(value), as that Estimator does; every
channel with its S3 distribution. Then writes the ML root every instance
would get and puts it through `ringsim launch --dry-run` on each host.

Usage: sagemaker_guide.py RINGSIM DOCS_SAGEMAKER_MD WORK
Exit 0 when the launcher accepts the example on every host for both values
of `sharded`; else 1, with one line per problem.
"""
import json
import os
import re
import subprocess
import sys
import types

ringsim, guide, work = sys.argv[1:4]
problems = []


def problem(text):
    print(f"FAIL: {text}")
    problems.append(text)


text = open(guide).read()
section = text.split("## Start a job with the SageMaker Python SDK", 1)
if len(section) != 2:
    sys.exit("FAIL: no 'Start a job with the SageMaker Python SDK' section")
blocks = re.findall(r"```python\n(.*?)```", section[1], re.S)
if not blocks:
    sys.exit("FAIL: no python block in that section")
example = blocks[0]

# The keyword arguments SageMaker Python SDK v2 (2.200 and later) takes; an
# unknown one would be a TypeError there.
ESTIMATOR_ARGS = {
    "image_uri", "role", "instance_count", "instance_type", "volume_size", "volume_kms_key", "max_run",
    "input_mode", "output_path", "output_kms_key", "base_job_name", "sagemaker_session", "hyperparameters",
    "tags", "subnets", "security_group_ids", "model_uri", "model_channel_name", "metric_definitions",
    "encrypt_inter_container_traffic", "use_spot_instances", "max_wait", "checkpoint_s3_uri",
    "checkpoint_local_path", "enable_network_isolation", "environment", "max_retry_attempts",
    "keep_alive_period_in_seconds", "container_entry_point", "container_arguments",
}
INPUT_ARGS = {"s3_data", "distribution", "compression", "content_type", "record_wrapping", "s3_data_type",
              "instance_groups", "input_mode", "attribute_names", "target_attribute_name", "shuffle_config"}


class Recorder:
    estimators = []


class Session:
    def default_bucket(self):
        return "example-bucket"


class TrainingInput:
    def __init__(self, s3_data, **kwargs):
        unknown = set(kwargs) - INPUT_ARGS
        if unknown:
            raise TypeError(f"TrainingInput got unexpected arguments {sorted(unknown)}")
        self.s3_data = s3_data
        self.distribution = kwargs.get("distribution", "FullyReplicated")
        self.content_type = kwargs.get("content_type")


class Estimator:
    def __init__(self, **kwargs):
        unknown = set(kwargs) - ESTIMATOR_ARGS
        if unknown:
            raise TypeError(f"Estimator got unexpected arguments {sorted(unknown)} "
                            "(the generic Estimator has no 'distribution': framework estimators only)")
        self.kwargs = kwargs
        self.hyperparameters_ = dict(kwargs.get("hyperparameters") or {})
        self.channels = None
        self.model_data = "s3://example-bucket/ringsim/output/job/output/model.tar.gz"
        Recorder.estimators.append(self)

    def set_hyperparameters(self, **kwargs):
        self.hyperparameters_.update(kwargs)

    def fit(self, inputs=None, wait=True, logs="All", job_name=None):
        if self.channels is not None:
            raise RuntimeError("fit called twice in the example")
        self.channels = {}
        for name, value in (inputs or {}).items():
            self.channels[name] = value if isinstance(value, TrainingInput) else TrainingInput(value)


sdk = types.ModuleType("sagemaker")
sdk.Session = Session
sdk.__version__ = "2.257.0"
estimator_module = types.ModuleType("sagemaker.estimator")
estimator_module.Estimator = Estimator
inputs_module = types.ModuleType("sagemaker.inputs")
inputs_module.TrainingInput = TrainingInput
sdk.estimator, sdk.inputs = estimator_module, inputs_module
sys.modules.update({"sagemaker": sdk, "sagemaker.estimator": estimator_module, "sagemaker.inputs": inputs_module})

if "sharded = False" not in example:
    problem("the example no longer has 'sharded = False' (the test runs both layouts)")
layouts_passed = 0
for sharded in (False, True):
    problems_before = len(problems)
    Recorder.estimators.clear()
    code = example.replace("sharded = False", f"sharded = {sharded}")
    try:
        exec(compile(code, "docs/sagemaker.md", "exec"), {"__name__": "__example__", "print": lambda *a: None})
    except Exception as error:  # the example itself is broken
        problem(f"sharded={sharded}: the example raised {type(error).__name__}: {error}")
        continue
    if len(Recorder.estimators) != 1 or Recorder.estimators[0].channels is None:
        problem(f"sharded={sharded}: expected one Estimator and one fit()")
        continue
    estimator = Recorder.estimators[0]
    kwargs = estimator.kwargs
    if kwargs.get("use_spot_instances") and kwargs.get("max_wait", 0) < kwargs.get("max_run", 86400):
        problem("max_wait must be at least max_run with spot instances")
    if "checkpoint_local_path" in kwargs:
        problem("the example sets checkpoint_local_path (the launcher reads /opt/ml/checkpoints)")
    # What SageMaker writes into each container.
    hosts = [f"algo-{i}" for i in range(1, kwargs["instance_count"] + 1)]
    hyperparameters = {str(k): str(v) for k, v in estimator.hyperparameters_.items()}  # v2: to_string
    channels = {name: {"ContentType": c.content_type or "", "TrainingInputMode": "File",
                       "S3DistributionType": c.distribution, "RecordWrapperType": "None"}
                for name, c in estimator.channels.items()}
    label = "sharded" if sharded else "replicated"
    root_of = {}
    for host in hosts:
        root = os.path.join(work, label, host)
        root_of[host] = root
        os.makedirs(f"{root}/input/config", exist_ok=True)
        for name in channels:
            os.makedirs(f"{root}/input/data/{name}", exist_ok=True)
        json.dump({"current_host": host, "hosts": hosts, "network_interface_name": "eth0",
                   "current_instance_type": kwargs["instance_type"]},
                  open(f"{root}/input/config/resourceconfig.json", "w"))
        json.dump(hyperparameters, open(f"{root}/input/config/hyperparameters.json", "w"))
        json.dump(channels, open(f"{root}/input/config/inputdataconfig.json", "w"))
        if kwargs.get("checkpoint_s3_uri"):
            os.makedirs(f"{root}/checkpoints", exist_ok=True)
    tls_channel = hyperparameters.get("tls_channel")
    if tls_channel:
        if tls_channel not in channels:
            problem(f"{label}: tls_channel '{tls_channel}' is not one of the channels {sorted(channels)}")
        for host in hosts:
            subprocess.run([ringsim, "certs", "--out", f"{root_of[host]}/input/data/{tls_channel}",
                            "--hosts", ",".join(hosts)], check=True, capture_output=True)
    for host in hosts:
        result = subprocess.run([ringsim, "launch", "--ml-root", root_of[host], "--dry-run"],
                                capture_output=True, text=True, env=dict(os.environ, SM_NUM_CPUS="72"))
        if result.returncode != 0:
            problem(f"{label}, {host}: ringsim launch --dry-run refused the example: "
                    f"{(result.stderr or result.stdout).strip()}")
            continue
        role = "leader" if host == hosts[0] else "worker"
        if f"role: {role}" not in result.stdout:
            problem(f"{label}, {host}: expected role {role}: {result.stdout[:200]}")
        if host == hosts[0]:
            argv = result.stdout
            want = ["--transport tls" if hyperparameters.get("transport") == "tls" else "",
                    f"--k {hyperparameters['k']}" if "k" in hyperparameters else "",
                    "--sharded" if sharded else "", "--checkpoint-dir",
                    "--resource-config", "--bind eth0"]
            for piece in filter(None, want):
                if piece not in argv:
                    problem(f"{label}: the ranks' command lacks '{piece}'")
            if not sharded and "--sharded" in argv:
                problem("replicated: the ranks' command says --sharded")
            per_host = hyperparameters.get("processes_per_host")
            if per_host and f"-np {int(per_host) * len(hosts)}" not in argv:
                problem(f"{label}: expected -np {int(per_host) * len(hosts)}")
    if len(problems) == problems_before:
        layouts_passed += 1
        print(f"ok   {label}: {len(hosts)} hosts, hyperparameters {hyperparameters}, channels "
              f"{ {n: c['S3DistributionType'] for n, c in channels.items()} }: accepted on every host")

print(f"{layouts_passed} layouts passed, {len(problems)} problems")
sys.exit(1 if problems else 0)
