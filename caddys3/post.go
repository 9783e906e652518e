package caddys3

// postObject serves browser-based uploads (POST with multipart/form-data and
// a signed policy document).
func (h *Handler) postObject(req *request) error {
	return newError("NotImplemented").withMessage("POST uploads are not implemented yet.")
}
