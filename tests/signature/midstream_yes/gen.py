# tests/signature/midstream_yes/gen.py: the midstream case's capture, with midstream = yes.
import runpy
runpy.run_path("../midstream/gen.py", run_name="__main__")
