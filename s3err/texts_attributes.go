package s3err

// Texts of GetObjectAttributes and GetObject/HeadObject ?partNumber=
// (issue 16, "Also").

var (
	// AttributesHeaderMissing: GetObjectAttributes without an
	// x-amz-object-attributes header, or with an empty one. AWS's text as
	// recorded by versitygw's integration tests run against S3
	// (GetObjectAttributes_empty_attrs; s3err.go
	// ErrObjectAttributesInvalidHeader).
	AttributesHeaderMissing = Text{InvalidRequest, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty"}

	// AttributeInvalid: an x-amz-object-attributes value that is not one
	// of ETag, Checksum, ObjectParts, StorageClass, ObjectSize (versitygw
	// GetObjectAttributes_invalid_attrs and _invalid_single_attribute;
	// s3err.go ErrInvalidObjectAttributes).
	AttributeInvalid = Text{InvalidArgument, "Invalid attribute name specified."}

	// MaxPartsInvalid: an x-amz-max-parts that is not an integer in
	// 0..2147483647 (versitygw s3err.go ErrInvalidMaxParts, the text S3
	// sends for max-parts).
	MaxPartsInvalid = Text{InvalidArgument, "Argument max-parts must be an integer between 0 and 2147483647."}

	// PartNumberMarkerInvalid: an x-amz-part-number-marker that is not an
	// integer in 0..2147483647 (versitygw s3err.go
	// ErrInvalidPartNumberMarker).
	PartNumberMarkerInvalid = Text{InvalidArgument, "Argument part-number-marker must be an integer between 0 and 2147483647"}

	// RangeWithPartNumber: GetObject/HeadObject with both a Range header
	// and ?partNumber= (localstack provider.py get_object, validated
	// against AWS; versitygw s3err.go ErrRangeAndPartNumber).
	RangeWithPartNumber = Text{InvalidRequest, "Cannot specify both Range header and partNumber query parameter"}

	// PartsUnknown is this server's own answer (AWS has no such case) to
	// ?partNumber= on a multipart object written before the server kept
	// part lists, or whose list of parts of many sizes was too long to
	// keep: it cannot tell where the part lies.
	PartsUnknown = Text{NotImplemented, "The part boundaries of this multipart object were not recorded: request a byte range instead"}
)
