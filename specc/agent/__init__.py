"""specc's agent: Claude drafts specs and fills kernels; specc's checker, compiler and
verifier judge every answer. Modules: client (the API, prices, budget, log), prompts
(specc/templates/prompts/), answers (YAML in, YAML out), judge (check, compile, verify a
candidate), draft (`specc draft`), kernels (`specc compile --fill-kernels`), commands (CLI).
"""
