"""fast/: the credential fast path. Standard library only, imports only fast/.

Paths, private files, the host index, the token cache, the refresh lock, text helpers,
and `credential`: the only functions a front door calls. A cached hit never leaves
this folder; a miss loads the engine lazily, with the refresh lock held.
"""
