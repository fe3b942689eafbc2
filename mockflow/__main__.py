from mockflow.cli import run

run()
