from identity_graph.cli import app

app(prog_name="identity-graph")
