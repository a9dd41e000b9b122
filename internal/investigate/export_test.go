package investigate

// Validator lets the external test package plug the schema validator in.
var Validator = &validate
