"""The machine a run records: CPU model and torch's CPU capability, in one line for the report."""
import torch

from shared.provenance import machine_info, machine_text


def test_machine_info_names_the_cpu_and_torchs_kernel_level():
    info = machine_info()
    assert info["cpu"] and info["cores"] >= 1 and info["torch"] == torch.__version__
    assert info["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert machine_text(info) == f"{info['cpu']} (torch {info['torch_cpu_capability']}), {info['cores']} cores"
    assert machine_text({}) == "unknown CPU (torch ?), ? cores"  # a final.json with a partial record still reads
